"""Keeps the pages' translation catalogue in step with the code:
``python -m marketplace.pages.catalogue`` extracts every ``_()`` / ``{% trans %}`` string into
``translations/messages.pot`` and merges it into each locale's ``.po`` (new strings empty,
translations kept, strings no longer used dropped). Then translate the empty ``msgstr`` of
``zh_CN``; ``en`` needs none (an empty msgstr shows the English source).

``missing(locale)`` lists untranslated strings; a test asserts the catalogue is current and
complete for zh_CN.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from marketplace.pages import i18n

PACKAGE = Path(__file__).parent
POT = i18n.TRANSLATIONS / "messages.pot"


def extract() -> Catalog:
    """Every translatable string of the package's code and templates."""
    with (PACKAGE / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="Databourse", fuzzy=False)
    for _file, _line, message, _comments, context in extract_from_dir(
        str(PACKAGE), method_map, options_map
    ):
        catalog.add(message, None, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return i18n.TRANSLATIONS / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale, domain=i18n.DOMAIN)


def missing(locale: str) -> list[str]:
    """The ids of strings the code uses that ``locale`` leaves untranslated."""
    catalog = read(locale)
    out = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if not _translated(found):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def _translated(message: Message | None) -> bool:
    """Every form has a translation (a plural has several), and it is not fuzzy."""
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def update() -> None:
    template = extract()
    with POT.open("wb") as pot:
        write_po(pot, template, omit_header=True, no_location=True, sort_output=True, width=100)
    for locale in i18n.LOCALES:
        catalog = read(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path(locale).open("wb") as po:
            write_po(po, catalog, no_location=True, sort_output=True, width=100)


if __name__ == "__main__":
    update()
    for locale in i18n.LOCALES:
        if locale != i18n.DEFAULT_LOCALE and (gaps := missing(locale)):
            sys.stdout.write(f"{locale}: {len(gaps)} untranslated\n")
