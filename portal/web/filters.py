"""Template filters and globals: names of countries and currencies, money, dates in the user's zone."""
import json
from datetime import UTC
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal
from flask import current_app
from flask_login import current_user
from markupsafe import Markup, escape

from portal.domain.labels import (
    COUNTRIES,
    CURRENCIES,
    LANGUAGES,
    country_name,
    label,
    language_name,
)
from portal.models.customer import CUSTOMER_TYPES

HTMX_CONFIG = json.dumps({
    # htmx 2 leaves 4xx unswapped by default; validation (422) and conflict (409) fragments must swap.
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "409", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
    "includeIndicatorStyles": False,  # the CSP allows no inline styles; portal.css styles indicators
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 20,
    # htmx 2 wires swapped content (hx-* attributes, triggers) when it settles, 20 ms after the swap by default;
    # a key pressed in between reached an unwired form (Enter did a full-page post, a select's change did
    # nothing). No settle transitions are used, so settle at once.
    "defaultSettleDelay": 0,
})


def money(amount, currency):
    return format_currency(amount, currency, locale="en_US")


def percent(value):
    return format_decimal(value or 0, format="0.00", locale="en_US") + " %"


def local_datetime(value, fmt="%Y-%m-%d %H:%M"):
    """A UTC timestamp in the signed-in user's time zone."""
    if value is None:
        return ""
    zone = ZoneInfo(current_user.timezone) if current_user and current_user.is_authenticated else UTC
    return value.replace(tzinfo=UTC).astimezone(zone).strftime(fmt)


@lru_cache(maxsize=1024)
def _options(kind, selected):
    pairs = {"country": COUNTRIES, "currency": [(code, code) for code, _name in CURRENCIES]}[kind]
    return Markup("".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
        for value, label in pairs))


def filter_options(kind, selected):
    """The <option>s of a long static list (countries, currencies), built once per selected value and kept."""
    return _options(kind, selected or "")


def without_none(attributes):
    """HTML attributes without the unset ones (WTForms would render None as the text "None")."""
    return {name: value for name, value in attributes.items() if value is not None and value is not False}


def init_app(app):
    """Register filters and globals."""
    app.jinja_env.filters.update(country_name=country_name, language_name=language_name, money=money,
                                 label=lambda code, kind: label(kind, code),
                                 percent=percent, local_datetime=local_datetime,
                                 without_none=without_none)
    app.jinja_env.globals.update(filter_options=filter_options, COUNTRIES=COUNTRIES, CURRENCIES=CURRENCIES, LANGUAGES=LANGUAGES,
                                 CUSTOMER_TYPES=CUSTOMER_TYPES, HTMX_CONFIG=HTMX_CONFIG)
    app.jinja_env.globals.setdefault("label", label)  # the catalogue's words for a code, in any template

    @app.context_processor
    def htmx_script():
        return {"htmx_url": current_app.config["PORTAL_HTMX_URL"],
                "htmx_integrity": current_app.config["PORTAL_HTMX_INTEGRITY"]}
