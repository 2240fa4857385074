"""Data assets: registration, revisions, encrypted content, compliance review, registration
certificates and search. HTTP routes in ``endpoints``, rules in ``service``, SQL in
``repository``; the asset lifecycle (states, events, transitions, journal kinds) is declared in
``lifecycle``, the objection's in ``objection_lifecycle``; content identity, schema inference,
format detection, URL safety, DCAT, certificates and the typed registration application
(``application``) are pure modules."""
