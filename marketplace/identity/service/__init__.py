"""Identity's rules: sign-up, login (password and Sign-In with Ethereum), bearer tokens,
invites, what operators do, custodial signing, and the organisation look-ups other domains use.
Never commits; the caller's unit of work does.

Journal payloads hold ids, addresses and roles; never emails, names or other personal data.
"""

from marketplace.identity.service.bearer_tokens import (
    authenticate,
    logout,
    me,
    refuse_if_suspended,
    suspended_refusal,
)
from marketplace.identity.service.credentials import (
    PasswordChangeAttempt,
    check_current_password,
    finish_password_change,
    logout_everywhere,
    record_wrong_password,
    start_password_change,
)
from marketplace.identity.service.ethereum_login import issue_siwe_nonce, siwe_login
from marketplace.identity.service.invites import create_invite
from marketplace.identity.service.operators import (
    SuspensionHook,
    create_operator,
    grant_role,
    grant_role_on_server,
    list_organizations,
    reinstate_organization,
    suspend_organization,
    suspension_hooks,
    verify_organization,
)
from marketplace.identity.service.organizations import (
    arbitrators,
    holder_account,
    is_suspended,
    lock_organization,
    organization,
    organization_roles,
    suspended_among,
)
from marketplace.identity.service.password_login import (
    PasswordAttempt,
    check_password,
    finish_password_login,
    record_login_failure,
    start_password_login,
)
from marketplace.identity.service.signatures import (
    consume_signature_nonce,
    nonce_and_deadline,
    sign_as,
    sign_digest_as,
    signature_of,
)
from marketplace.identity.service.signup import signup_with_password

__all__ = [
    "PasswordAttempt",
    "PasswordChangeAttempt",
    "SuspensionHook",
    "arbitrators",
    "authenticate",
    "check_current_password",
    "check_password",
    "consume_signature_nonce",
    "create_invite",
    "create_operator",
    "finish_password_change",
    "finish_password_login",
    "grant_role",
    "grant_role_on_server",
    "holder_account",
    "is_suspended",
    "issue_siwe_nonce",
    "list_organizations",
    "lock_organization",
    "logout",
    "logout_everywhere",
    "me",
    "nonce_and_deadline",
    "organization",
    "organization_roles",
    "record_login_failure",
    "record_wrong_password",
    "refuse_if_suspended",
    "reinstate_organization",
    "sign_as",
    "sign_digest_as",
    "signature_of",
    "signup_with_password",
    "siwe_login",
    "start_password_change",
    "start_password_login",
    "suspend_organization",
    "suspended_among",
    "suspended_refusal",
    "suspension_hooks",
    "verify_organization",
]
