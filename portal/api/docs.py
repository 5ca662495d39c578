"""The OpenAPI 3.1 document, built from the schemas the endpoints validate with (so it cannot drift)."""
from flask import jsonify

from portal.api import bp
from portal.api.boundary import ID_DIGITS, SINGLE_LINE
from portal.api.common import CURSOR_PATTERN
from portal.api import dunning as dunning_api
from portal.api import schemas as s
from portal.api import settings as settings_api
from portal.api.customers import GROUP_FILTER

PROBLEM = {"description": "Problem (RFC 9457)",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ETAG = {"ETag": {"description": "Strong entity tag of the representation", "schema": {"type": "string"}}}


def _json(ref, description="OK", headers=None):
    response = {"description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    if headers:
        response["headers"] = headers
    return response


def _body(ref, types=("application/json",)):
    return {"required": True, "content": {t: {"schema": {"$ref": f"#/components/schemas/{ref}"}} for t in types}}


def _path_param(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name, schema, description=""):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "The ETag you read; a stale one answers 412 and changes nothing."}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                   "description": "Replays the first response for 24 hours (per token)."}
AUDIT_REASON = {"name": "X-Audit-Reason", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "Recorded with the change in the audit trail."}
CURSOR_PARAMS = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                 _query("cursor", {"type": "string", "pattern": CURSOR_PATTERN},
                        "The nextCursor of the previous page; anything else is a 400")]


# Rules JSON Schema cannot state, because they depend on what is stored (a taken alias, a template that must exist)
# or on other fields in ways the document does not spell out; a schema-valid body may meet them and answer 422
# naming one of these fields (the OpenAPI test allows exactly these, per operation).
CUSTOMER_RULES = ["legalEntityId", "groupId", "vatId", "aliases", "debtorIdent", "primaryContact.email",
                  "invoiceAddress.line1"]  # an address given has its first line (the one address rule)
CUSTOMER_PATCH_RULES = [*CUSTOMER_RULES, "status"]  # an archived customer changes only by being restored
CONTACT_RULES = ["email", "isPrimary"]
ADDRESS_RULES = ["name", "type", "line1"]  # line1: only Invoice address 1 may be emptied altogether
CONTACT_DELETE_RULES = ["isPrimary"]  # the primary contact stays until another one is primary
ADDRESS_DELETE_RULES = ["address"]  # Invoice address 1 stays
SETTINGS_RULES = ["taxExemptCode", "eInvoiceBuyerReference", "peppolParticipantId", "autoCollect", "rechargeType",
                  "rechargeThresholdAmount", "rechargeTargetAmount", "defaultPaymentMethodId", "dunningLadderId",
                  "billingPeriodConfigurations", "customerBillingStatementSetting"]
RULE_RULES = ["emailTemplate", "documentTemplate", "level", "ladderId"]  # level: at most five on a ladder
GROUP_RULES = ["name"]  # unique in the organization
LADDER_RULES = ["name", "isDefault"]  # a unique name; one ladder is always the default


def operation(summary, responses, parameters=(), body=None, domain_rules=()):
    op = {"summary": summary, "parameters": list(parameters),
          "responses": {**responses, "4XX": PROBLEM}}
    if body:
        op["requestBody"] = body
    if any(p is IDEMPOTENCY_KEY for p in parameters):  # a key used before with another body
        domain_rules = [*domain_rules, "Idempotency-Key"]
    if domain_rules:
        op["responses"]["422"] = {**PROBLEM, "description": "A rule the schema cannot state (it depends on stored "
                                  "data or on other fields) names its field", "x-domain-rules": list(domain_rules)}
    if any(p is IF_MATCH for p in parameters):
        op["responses"]["412"] = {**PROBLEM, "description": "If-Match names another version than the current one"}
    return op


def _part_paths(collection, id_name, schema, rules, delete_rules):
    customer_id, part_id = _path_param("customerId"), _path_param(id_name)
    merge = ("application/merge-patch+json", "application/json")
    return {
        f"/customers/{{customerId}}/{collection}": {
            "get": operation(f"The customer's {collection}", {"200": _json(f"{schema}List", headers=ETAG)},
                             [customer_id]),
            "post": operation(f"Add to the customer's {collection}", {"201": _json(schema, "Created", ETAG)},
                              [customer_id, IDEMPOTENCY_KEY, AUDIT_REASON], _body(f"{schema}Create"), rules),
        },
        f"/customers/{{customerId}}/{collection}/{{{id_name}}}": {
            "get": operation(f"Read one of the customer's {collection}", {"200": _json(schema, headers=ETAG)},
                             [customer_id, part_id]),
            "patch": operation("Change it (JSON merge patch)", {"200": _json(schema, headers=ETAG)},
                               [customer_id, part_id, IF_MATCH, AUDIT_REASON], _body(f"{schema}Patch", merge), rules),
            "delete": operation("Remove it", {"204": {"description": "Removed"}},
                                [customer_id, part_id, IF_MATCH, AUDIT_REASON], domain_rules=delete_rules),
        },
    }


MERGE = ("application/merge-patch+json", "application/json")
LADDER_ID = _query("ladderId", {"type": "string", "pattern": ID_DIGITS},
                   "One of the organization's dunning ladders (another id is a 404); left out: the default ladder")


def paths():
    customer_id, group_id, ladder_id = _path_param("customerId"), _path_param("groupId"), _path_param("ladderId")
    return {
        "/customers": {
            "get": operation("List and search customers", {"200": _json("CustomerList", headers=ETAG)}, [
                _query("q", {"type": "string", "pattern": SINGLE_LINE}, "Words matching name, debtor ident, account number, email, alias, VAT id"),
                _query("status", {"type": "string", "enum": ["active", "archived"]}),
                _query("country", s.COUNTRY), _query("currency", s.CURRENCY),
                _query("legalEntityId", {"type": "string", "pattern": ID_DIGITS}),
                _query("alias", {"type": "string", "pattern": SINGLE_LINE}),
                _query("groupId", {"type": "string", "pattern": GROUP_FILTER},
                       "Customers in this group; none: customers in no group"),
                *CURSOR_PARAMS]),
            "post": operation("Create a customer", {"201": _json("Customer", "Created", ETAG)},
                              [IDEMPOTENCY_KEY, AUDIT_REASON], _body("CustomerCreate"), CUSTOMER_RULES),
        },
        "/customers/{customerId}": {
            "get": operation("Read a customer", {"200": _json("Customer", headers=ETAG)}, [customer_id]),
            "patch": operation("Change a customer (JSON merge patch); archive or restore via status",
                               {"200": _json("Customer", headers=ETAG)}, [customer_id, IF_MATCH, AUDIT_REASON],
                               _body("CustomerPatch", MERGE), CUSTOMER_PATCH_RULES),
        },
        **_part_paths("addresses", "addressId", "Address", ADDRESS_RULES, ADDRESS_DELETE_RULES),
        **_part_paths("contacts", "contactId", "Contact", CONTACT_RULES, CONTACT_DELETE_RULES),
        "/customers/{customerId}/settings": {
            "get": operation("The customer's billing settings: own values, effective values, sources",
                             {"200": _json("CustomerSettings", headers=ETAG)}, [customer_id]),
            "put": operation("Replace the customer layer (every field; null inherits)",
                             {"200": _json("CustomerSettings", headers=ETAG)}, [customer_id, IF_MATCH, AUDIT_REASON],
                             _body("CustomerSettingsPut"), SETTINGS_RULES),
            "patch": operation("Merge patch of the customer layer (null resets to inherited)",
                               {"200": _json("CustomerSettings", headers=ETAG)}, [customer_id, IF_MATCH, AUDIT_REASON],
                               _body("CustomerSettingsInput", ("application/merge-patch+json", "application/json")), SETTINGS_RULES),
        },
        "/organization/settings": {
            "get": operation("The organization's settings layer", {"200": _json("OrganizationSettings", headers=ETAG)}),
            "put": operation("Replace the organization layer (every field; null uses the default)",
                             {"200": _json("OrganizationSettings", headers=ETAG)}, [IF_MATCH, AUDIT_REASON],
                             _body("OrganizationSettingsPut"), SETTINGS_RULES),
            "patch": operation("Merge patch of the organization layer", {"200": _json("OrganizationSettings",
                                                                                        headers=ETAG)},
                               [IF_MATCH, AUDIT_REASON],
                               _body("OrganizationSettingsInput", ("application/merge-patch+json", "application/json")), SETTINGS_RULES),
        },
        "/customers/{customerId}/dunning-timeline": {
            "get": operation("What happens to an unpaid invoice: due date, reminders, dunning notices, fees",
                             {"200": _json("DunningTimeline", headers=ETAG)},
                             [customer_id, _query("invoiceDate", dunning_api.INVOICE_DATE, "Left out: today"),
                              {**_query("amountInCents", dunning_api.TIMELINE_AMOUNT), "required": True}]),
        },
        "/dunning/overdue-rules": {
            "get": operation("The overdue rules by level: the default ladder's, or those of the ladder ladderId names",
                             {"200": _json("OverdueRuleList", headers=ETAG)}, [LADDER_ID]),
            "post": operation("Add an overdue rule at the bottom of a ladder (at most five): the body's ladderId, "
                              "else the query's, else the default ladder",
                              {"201": _json("OverdueRule", "Created", ETAG)},
                              [LADDER_ID, IDEMPOTENCY_KEY, AUDIT_REASON], _body("OverdueRuleInput"), RULE_RULES),
        },
        "/dunning/overdue-rules/{id}": {
            "get": operation("Read an overdue rule", {"200": _json("OverdueRule", headers=ETAG)}, [_path_param("id")]),
            "put": operation("Replace an overdue rule; a different level moves it", {"200": _json("OverdueRule",
                                                                                                  headers=ETAG)},
                             [_path_param("id"), IF_MATCH, AUDIT_REASON], _body("OverdueRuleInput"), RULE_RULES),
            "delete": operation("Delete an overdue rule; the levels close up", {"204": {"description": "Deleted"}},
                                [_path_param("id"), IF_MATCH, AUDIT_REASON]),
        },
        "/dunning/ladders": {
            "get": operation("The dunning ladders by name, with their rules", {"200": _json("DunningLadderList",
                                                                                             headers=ETAG)}),
            "post": operation("Add an empty dunning ladder (the organization's first is its default)",
                              {"201": _json("DunningLadder", "Created", ETAG)}, [IDEMPOTENCY_KEY, AUDIT_REASON],
                              _body("DunningLadderCreate"), LADDER_RULES),
        },
        "/dunning/ladders/{ladderId}": {
            "get": operation("Read a dunning ladder", {"200": _json("DunningLadder", headers=ETAG)}, [ladder_id]),
            "patch": operation("Rename a ladder or make it the default (JSON merge patch)",
                               {"200": _json("DunningLadder", headers=ETAG)}, [ladder_id, IF_MATCH, AUDIT_REASON],
                               _body("DunningLadderPatch", MERGE), LADDER_RULES),
            "delete": operation("Delete a ladder and its rules; the default ladder or one in use is a 409",
                                {"204": {"description": "Deleted"}, "409": {
                                    **PROBLEM, "description": "The default ladder, or used by customers or groups "
                                                              "(the detail says how many)"}},
                                [ladder_id, IF_MATCH, AUDIT_REASON]),
        },
        "/groups": {
            "get": operation("The customer groups by name", {"200": _json("CustomerGroupList", headers=ETAG)}),
            "post": operation("Create a customer group", {"201": _json("CustomerGroup", "Created", ETAG)},
                              [IDEMPOTENCY_KEY, AUDIT_REASON], _body("CustomerGroupCreate"), GROUP_RULES),
        },
        "/groups/{groupId}": {
            "get": operation("Read a customer group", {"200": _json("CustomerGroup", headers=ETAG)}, [group_id]),
            "patch": operation("Change a group's name or description (JSON merge patch)",
                               {"200": _json("CustomerGroup", headers=ETAG)}, [group_id, IF_MATCH, AUDIT_REASON],
                               _body("CustomerGroupPatch", MERGE), GROUP_RULES),
            "delete": operation("Delete a group without customers; one with customers is a 409",
                                {"204": {"description": "Deleted"}, "409": {
                                    **PROBLEM, "description": "The group has customers (the detail says how many)"}},
                                [group_id, IF_MATCH, AUDIT_REASON]),
        },
        "/groups/{groupId}/settings": {
            "get": operation("The group's settings layer: own values, effective values, sources, override counts",
                             {"200": _json("GroupSettings", headers=ETAG)}, [group_id]),
            "put": operation("Replace the group layer (every field; null inherits)",
                             {"200": _json("GroupSettings", headers=ETAG)}, [group_id, IF_MATCH, AUDIT_REASON],
                             _body("GroupSettingsPut"), SETTINGS_RULES),
            "patch": operation("Merge patch of the group layer (null resets to inherited)",
                               {"200": _json("GroupSettings", headers=ETAG)}, [group_id, IF_MATCH, AUDIT_REASON],
                               _body("GroupSettingsInput", MERGE), SETTINGS_RULES),
        },
        "/customers/{customerId}/events": {
            "get": operation("The customer's audit events, newest first", {"200": _json("EventList", headers=ETAG)},
                             [customer_id, *CURSOR_PARAMS]),
        },
    }


def document():
    """The whole OpenAPI document."""
    all_paths = paths()
    return {
        "openapi": "3.1.0",
        "info": {"title": "Customer Portal API", "version": "1.0.0",
                 "description": "camelCase JSON; errors are application/problem+json (RFC 9457)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": all_paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Customer": s.CUSTOMER, "CustomerCreate": s.CUSTOMER_CREATE, "CustomerPatch": s.CUSTOMER_PATCH,
                "CustomerList": s.CUSTOMER_LIST, "Address": s.ADDRESS, "Contact": s.CONTACT, "Event": s.EVENT,
                "EventList": s.EVENT_LIST, "Problem": s.PROBLEM,
                "AddressCreate": s.ADDRESS_CREATE, "AddressPatch": s.ADDRESS_PATCH, "AddressList": s.ADDRESS_LIST,
                "ContactCreate": s.CONTACT_CREATE,
                "OverdueRule": dunning_api.OVERDUE_RULE, "OverdueRuleInput": dunning_api.OVERDUE_RULE_INPUT,
                "OverdueRuleList": dunning_api.OVERDUE_RULE_LIST, "DunningTimeline": dunning_api.TIMELINE,
                "CustomerSettings": settings_api.CUSTOMER_SETTINGS,
                "CustomerSettingsInput": settings_api.CUSTOMER_SETTINGS_INPUT,
                "CustomerSettingsPut": settings_api.CUSTOMER_SETTINGS_PUT,
                "OrganizationSettings": settings_api.ORGANIZATION_SETTINGS,
                "OrganizationSettingsInput": settings_api.ORGANIZATION_SETTINGS_INPUT,
                "OrganizationSettingsPut": settings_api.ORGANIZATION_SETTINGS_PUT, "ContactPatch": s.CONTACT_PATCH, "ContactList": s.CONTACT_LIST,
                "GroupSettings": settings_api.GROUP_SETTINGS, "GroupSettingsInput": settings_api.GROUP_SETTINGS_INPUT,
                "GroupSettingsPut": settings_api.GROUP_SETTINGS_PUT,
                "CustomerGroup": s.GROUP, "CustomerGroupCreate": s.GROUP_CREATE, "CustomerGroupPatch": s.GROUP_PATCH,
                "CustomerGroupList": s.GROUP_LIST,
                "DunningLadder": dunning_api.LADDER, "DunningLadderCreate": dunning_api.LADDER_CREATE,
                "DunningLadderPatch": dunning_api.LADDER_PATCH, "DunningLadderList": dunning_api.LADDER_LIST,
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document (public: it is documentation)."""
    return jsonify(document())
