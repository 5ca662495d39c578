"""Names of the codes the product shows: countries, currencies, languages."""
import pycountry

COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
CURRENCIES = sorted((c.alpha_3, c.name) for c in pycountry.currencies)
LANGUAGES = sorted(((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
                   key=lambda item: item[1])
_COUNTRY_NAMES = dict(COUNTRIES)
_LANGUAGE_NAMES = dict(LANGUAGES)


def country_name(code):
    """The English name of an ISO 3166-1 country code."""
    return _COUNTRY_NAMES.get(code or "", code or "")


def language_name(code):
    """The English name of an ISO 639-1 language code."""
    return _LANGUAGE_NAMES.get(code or "", code or "")


