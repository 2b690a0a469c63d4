//! The OpenAPI 3.1 document for `/api/v1`, served at `/api/v1/openapi.json`.
//! Written out by hand from the handlers; a test checks that every API route is in it.

use serde_json::{json, Value};

fn problem() -> Value {
    json!({ "description": "Problem (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn ok(schema: &str) -> Value {
    json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn list_of(schema: &str) -> Value {
    json!({ "description": "OK", "content": { "application/json": { "schema": {
        "type": "object", "required": ["items", "total"],
        "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } },
                        "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" } } } } } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

/// A download: an Excel workbook (attachment; the file name is in Content-Disposition).
fn xlsx() -> Value {
    json!({ "description": "Excel workbook (attachment)", "content": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" } } } })
}

fn errors(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert(c.to_string(), problem());
    }
    Value::Object(m)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

fn param(name: &str, location: &str, kind: &str, description: &str) -> Value {
    json!({ "name": name, "in": location, "required": location == "path", "schema": { "type": kind }, "description": description })
}

pub fn spec() -> Value {
    let id = param("id", "path", "integer", "record id");
    let paging = [
        param("page", "query", "integer", "page, from 1"),
        param("per_page", "query", "integer", "1–200, default 20"),
    ];
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Gongjiang API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "工匠 Gongjiang — every list is scoped to the caller's subtree; a record outside it answers 404." },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/session": {
                "post": { "summary": "Log in; returns a bearer token", "security": [], "requestBody": body("Login"),
                          "responses": with(json!({ "200": ok("Token") }), errors(&["401", "422", "429"])) },
                "delete": { "summary": "Log out (revokes the token)", "responses": with(json!({ "204": { "description": "revoked" } }), errors(&["401"])) }
            },
            "/api/v1/me": { "get": { "summary": "The caller and its assignments", "responses": with(json!({ "200": { "description": "OK" } }), errors(&["401"])) } },
            "/api/v1/orgs": {
                "get": { "summary": "Organisations in the caller's subtree",
                         "parameters": [param("q", "query", "string", "name or code contains"), param("parent_id", "query", "integer", "direct children of"), paging[0], paging[1]],
                         "responses": with(json!({ "200": list_of("Org") }), errors(&["401"])) },
                "post": { "summary": "Create an organisation under parent_id (admin)", "requestBody": body("OrgInput"),
                          "responses": with(json!({ "201": ok("Org") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/orgs/{id}": {
                "get": { "parameters": [id], "responses": with(json!({ "200": ok("Org") }), errors(&["401", "404"])) },
                "patch": { "summary": "Edit; a new parent_id moves the subtree (admin at both ends)", "parameters": [id], "requestBody": body("OrgInput"),
                           "responses": with(json!({ "200": ok("Org") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/enterprises": {
                "get": { "parameters": [param("q", "query", "string", "name, industry or credit code"), param("org_id", "query", "integer", "subtree of"), paging[0], paging[1]],
                         "responses": with(json!({ "200": list_of("Enterprise") }), errors(&["401", "404"])) },
                "post": { "requestBody": body("EnterpriseInput"), "responses": with(json!({ "201": ok("Enterprise") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/enterprises/{id}": {
                "get": { "parameters": [id], "responses": with(json!({ "200": ok("Enterprise") }), errors(&["401", "404"])) },
                "patch": { "parameters": [id], "requestBody": body("EnterpriseInput"), "responses": with(json!({ "200": ok("Enterprise") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/members": {
                "get": { "summary": "Members in the subtree of org_id (default: the caller's scope)",
                         "parameters": [param("org_id", "query", "integer", "subtree of"), param("q", "query", "string", "name contains, card number, whole ID number or phone"),
                                        param("skill_level", "query", "string", "初级工…高级技师"), param("status", "query", "string", "在册/转出/退会"),
                                        param("enterprise_id", "query", "integer", "employer"), paging[0], paging[1]],
                         "responses": with(json!({ "200": list_of("Member") }), errors(&["401", "404", "422"])) },
                "post": { "summary": "Register a member; an ID number already registered is a 409", "requestBody": body("MemberInput"),
                          "responses": with(json!({ "201": ok("Member") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/members/{id}": {
                "get": { "parameters": [id], "responses": with(json!({ "200": ok("Member") }), errors(&["401", "404"])) },
                "patch": { "parameters": [id], "requestBody": body("MemberInput"), "responses": with(json!({ "200": ok("Member") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/members/{id}/transfer": {
                "post": { "summary": "会员转会: move to another organisation, keeping the history", "parameters": [id], "requestBody": body("TransferInput"),
                          "responses": with(json!({ "200": ok("Member") }), errors(&["401", "403", "404", "422"])) }
            },
            "/api/v1/members/{id}/transfers": {
                "get": { "parameters": [id], "responses": with(json!({ "200": list_of("Transfer") }), errors(&["401", "404"])) }
            },
            "/api/v1/members/{id}/reveal": {
                "post": { "summary": "The whole ID number and phone, once; needs the reveal right (granted per account) and is audited",
                          "parameters": [id],
                          "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RevealInput" } } } },
                          "responses": with(json!({ "200": ok("Revealed") }), errors(&["401", "403", "404"])) }
            },
            "/api/v1/members/export.xlsx": {
                "get": { "summary": "The roster of org_id's subtree in the import columns; masked unless reveal=1 (needs the reveal right); audited",
                         "parameters": [param("org_id", "query", "integer", "subtree of (default: the caller's own organisation)"),
                                        param("reveal", "query", "string", "1: whole ID numbers and phones")],
                         "responses": with(json!({ "200": xlsx() }), errors(&["401", "403", "404", "422"])) }
            },
            "/api/v1/members/template.xlsx": {
                "get": { "summary": "The blank roster template, with filling-in notes", "responses": with(json!({ "200": xlsx() }), errors(&["401"])) }
            },
            "/api/v1/imports": {
                "post": { "summary": "Import a roster (.xlsx, .xls or .csv in UTF-8 or GBK) into org_id's subtree; runs in the background — poll GET /api/v1/imports/{id}",
                          "parameters": [param("org_id", "query", "integer", "the organisation to import into (or the org_id form field)"),
                                         { "name": "mode", "in": "query", "required": false, "description": "check: write nothing; all: one bad row and nothing is written; valid: write the valid rows",
                                           "schema": { "type": "string", "enum": ["check", "all", "valid"], "default": "all" } },
                                         param("filename", "query", "string", "the file's name, for the job list")],
                          "requestBody": { "required": true, "content": {
                              "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } },
                              "multipart/form-data": { "schema": { "type": "object", "required": ["file"], "properties": {
                                  "file": { "type": "string", "contentMediaType": "application/octet-stream" },
                                  "org_id": { "type": "integer" },
                                  "mode": { "type": "string", "enum": ["check", "all", "valid"] } } } } } },
                          "responses": with(json!({ "202": { "description": "Accepted: the job runs in the background", "content": { "application/json": { "schema": {
                              "type": "object", "properties": { "id": { "type": "integer" }, "state": { "type": "string", "enum": ["running"] } } } } } } }),
                              errors(&["401", "403", "404", "422"])) }
            },
            "/api/v1/imports/{id}": {
                "get": { "summary": "An import job: live counts while it runs, then the outcome and the bad rows (the first 1000)",
                         "parameters": [id], "responses": with(json!({ "200": ok("ImportJob") }), errors(&["401", "404"])) }
            },
            "/api/v1/imports/{id}/report.xlsx": {
                "get": { "summary": "The bad rows with a 错误原因 column, re-importable once corrected; 404 when there were none",
                         "parameters": [id], "responses": with(json!({ "200": xlsx() }), errors(&["401", "404"])) }
            },
            "/api/v1/audit": {
                "get": { "summary": "The audit log within the caller's subtree, newest first (admins and auditors)",
                         "parameters": [param("member_id", "query", "integer", "about this member"), param("account_id", "query", "integer", "done by this account"),
                                        param("actor", "query", "string", "done by this username"), param("action", "query", "string", "e.g. member.reveal, member.export, member.import"),
                                        { "name": "from", "in": "query", "required": false, "description": "from this day, inclusive (YYYY-MM-DD, Beijing time)", "schema": { "type": "string", "format": "date" } },
                                        { "name": "to", "in": "query", "required": false, "description": "to this day, inclusive (YYYY-MM-DD, Beijing time)", "schema": { "type": "string", "format": "date" } },
                                        paging[0], paging[1]],
                         "responses": with(json!({ "200": list_of("AuditEntry") }), errors(&["401", "403", "422"])) }
            },
            "/api/v1/accounts": {
                "get": { "summary": "Accounts in the admin's subtree", "responses": with(json!({ "200": list_of("Account") }), errors(&["401", "403"])) },
                "post": { "requestBody": body("AccountInput"), "responses": with(json!({ "201": ok("Account") }), errors(&["401", "403", "404", "409", "422"])) }
            },
            "/api/v1/accounts/{id}": {
                "get": { "parameters": [id], "responses": with(json!({ "200": ok("Account") }), errors(&["401", "403", "404"])) },
                "patch": { "summary": "Reset the password or disable (ends the account's sessions); grant or withdraw the reveal right", "parameters": [id], "requestBody": body("AccountPatch"),
                           "responses": with(json!({ "200": ok("Account") }), errors(&["401", "403", "404", "422"])) }
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Problem": { "type": "object", "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
                    "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } } } },
                "Login": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } },
                "Token": { "type": "object", "properties": { "token": { "type": "string" }, "token_type": { "type": "string" }, "expires_in": { "type": "integer" } } },
                "Org": { "type": "object", "properties": { "id": { "type": "integer" }, "code": { "type": "string" }, "name": { "type": "string" },
                    "kind": { "type": "string", "enum": crate::org::rules::KINDS }, "parent_id": { "type": ["integer", "null"] } } },
                "OrgInput": { "type": "object", "properties": { "code": { "type": "string" }, "name": { "type": "string" }, "kind": { "type": "string", "enum": crate::org::rules::KINDS }, "parent_id": { "type": "integer" } } },
                "Enterprise": { "type": "object", "properties": { "id": { "type": "integer" }, "credit_code": { "type": "string" }, "name": { "type": "string" }, "industry": { "type": "string" },
                    "size": { "type": "string" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" } } },
                "EnterpriseInput": { "type": "object", "properties": { "credit_code": { "type": "string", "description": "统一社会信用代码, GB 32100 check character" },
                    "name": { "type": "string" }, "industry": { "type": "string" }, "size": { "type": "string", "enum": crate::enterprise::rules::SIZES }, "org_id": { "type": "integer" } } },
                "Member": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "gender": { "type": "string" }, "birth_date": { "type": "string" },
                    "id_number_masked": { "type": "string", "example": "330203************" }, "phone_masked": { "type": ["string", "null"], "example": "138****5678" },
                    "org_id": { "type": "integer" }, "org_name": { "type": "string" }, "enterprise_id": { "type": ["integer", "null"] }, "enterprise_name": { "type": ["string", "null"] },
                    "ethnicity": { "type": "string" }, "education": { "type": "string" }, "political_status": { "type": "string" }, "occupation": { "type": "string" },
                    "skill_level": { "type": "string", "enum": ["", "初级工", "中级工", "高级工", "技师", "高级技师"] }, "card_no": { "type": "string" }, "join_date": { "type": "string" },
                    "is_migrant_worker": { "type": "boolean" }, "is_hardship": { "type": "boolean" }, "status": { "type": "string", "enum": crate::member::rules::STATUSES },
                    "created_at": { "type": "integer", "description": "epoch ms" }, "updated_at": { "type": "integer" } } },
                "MemberInput": { "type": "object", "properties": {
                    "name": { "type": "string" }, "id_number": { "type": "string", "description": "18 characters, GB 11643 check digit; lower-case x accepted" },
                    "phone": { "type": "string" }, "org_id": { "type": "integer", "description": "on create only; use transfer to change" }, "enterprise_id": { "type": ["integer", "null"] },
                    "ethnicity": { "type": "string" }, "education": { "type": "string" }, "political_status": { "type": "string" }, "occupation": { "type": "string" },
                    "skill_level": { "type": "string" }, "card_no": { "type": "string" }, "join_date": { "type": "string", "format": "date" },
                    "is_migrant_worker": { "type": "boolean" }, "is_hardship": { "type": "boolean" }, "status": { "type": "string" } } },
                "TransferInput": { "type": "object", "required": ["to_org_id"], "properties": { "to_org_id": { "type": "integer" }, "enterprise_id": { "type": "integer" }, "reason": { "type": "string" } } },
                "Transfer": { "type": "object", "properties": { "id": { "type": "integer" }, "from_org_id": { "type": "integer" }, "from_org_name": { "type": "string" },
                    "to_org_id": { "type": "integer" }, "to_org_name": { "type": "string" }, "reason": { "type": "string" }, "by": { "type": ["string", "null"] }, "at": { "type": "integer" } } },
                "Account": { "type": "object", "properties": { "id": { "type": "integer" }, "username": { "type": "string" }, "member_id": { "type": ["integer", "null"] }, "disabled": { "type": "boolean" },
                    "can_reveal": { "type": "boolean", "description": "may reveal whole ID numbers and phones in its organisation's subtree" },
                    "assignments": { "type": "array", "items": { "type": "object", "properties": { "role": { "type": "string" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" } } } } } },
                "AccountInput": { "type": "object", "properties": { "username": { "type": "string" }, "password": { "type": "string", "minLength": 8 },
                    "role": { "type": "string", "enum": ["admin", "officer", "viewer", "member"] }, "org_id": { "type": "integer" }, "member_id": { "type": "integer" } } },
                "AccountPatch": { "type": "object", "properties": { "password": { "type": "string" }, "disabled": { "type": "boolean" },
                    "can_reveal": { "type": "boolean", "description": "grant or withdraw the reveal right over the account's own organisation; not for member accounts (422)" } } },
                "RevealInput": { "type": "object", "properties": { "purpose": { "type": "string", "description": "why, for the audit log" } } },
                "Revealed": { "type": "object", "properties": { "id": { "type": "integer" }, "id_number": { "type": "string" }, "phone": { "type": ["string", "null"] } } },
                "ImportJob": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "state": { "type": "string", "enum": ["running", "done", "checked", "rejected", "failed"] },
                    "mode": { "type": "string", "enum": ["check", "all", "valid"] }, "rows_total": { "type": "integer" }, "rows_done": { "type": "integer" },
                    "rows_failed": { "type": "integer" }, "rows_created": { "type": "integer" }, "rows_updated": { "type": "integer" }, "message": { "type": "string" },
                    "errors": { "type": "array", "description": "the first 1000 bad rows; the report has them all", "items": { "type": "object", "properties": {
                        "sheet": { "type": "string" }, "row": { "type": "integer", "description": "as Excel numbers it" }, "column": { "type": "string" }, "reason": { "type": "string" } } } } } },
                "AuditEntry": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "at": { "type": "integer", "description": "epoch ms" }, "account_id": { "type": ["integer", "null"] }, "actor": { "type": "string" },
                    "action": { "type": "string" }, "entity": { "type": "string" }, "entity_id": { "type": ["integer", "null"] }, "member_id": { "type": ["integer", "null"] },
                    "org_id": { "type": ["integer", "null"] }, "detail": { "description": "what changed; never a whole ID number or phone" }, "hash": { "type": "string" } } }
            }
        }
    })
}

/// Adds a program's paths and schemas to the document.
fn merge(spec: &mut Value, paths: Value, schemas: Value) {
    for (into, extra) in [("paths", paths), ("schemas", schemas)] {
        let target = if into == "paths" {
            &mut spec["paths"]
        } else {
            &mut spec["components"]["schemas"]
        };
        if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
            target.extend(extra);
        }
    }
}

/// The points ledger and the redemption catalogue (kept apart from `spec`'s one literal).
fn points(spec: &mut Value) {
    let id = param("id", "path", "integer", "record id");
    let member = param(
        "member_id",
        "query",
        "integer",
        "the member (a member account may leave it out for its own)",
    );
    let paths = json!({
        "/api/v1/points/entries": {
            "post": { "summary": "Add (or deduct) points for a member (staff with roster rights). The same idempotency_key adds nothing the second time: 200 with the first entry.",
                      "requestBody": body("PointEntryInput"),
                      "responses": with(json!({ "201": ok("PointEntryResult"), "200": ok("PointEntryResult") }), errors(&["401", "403", "404", "409", "422"])) },
            "get": { "summary": "A member's entries, newest first", "parameters": [member.clone()],
                     "responses": with(json!({ "200": list_of("PointEntry") }), errors(&["401", "404"])) }
        },
        "/api/v1/points/balance": {
            "get": { "summary": "A member's spendable balance and lifetime total", "parameters": [member],
                     "responses": with(json!({ "200": ok("PointBalance") }), errors(&["401", "404", "422"])) }
        },
        "/api/v1/catalog/items": {
            "post": { "summary": "A redemption item of a union (staff)", "requestBody": body("CatalogItemInput"),
                      "responses": with(json!({ "201": ok("CatalogItem") }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "Items: staff see their subtree's; a member sees their union's and the unions' above",
                     "parameters": [param("org_id", "query", "integer", "subtree of (staff)")],
                     "responses": with(json!({ "200": list_of("CatalogItem") }), errors(&["401", "404"])) }
        },
        "/api/v1/catalog/items/{id}": {
            "get": { "parameters": [id.clone()], "responses": with(json!({ "200": ok("CatalogItem") }), errors(&["401", "404"])) },
            "patch": { "parameters": [id.clone()], "requestBody": body("CatalogItemInput"), "responses": with(json!({ "200": ok("CatalogItem") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/catalog/items/{id}/redeem": {
            "post": { "summary": "Redeem one, as the member (a member account's token): 409 out of stock or over the per-member limit, 422 too few points",
                      "parameters": [id.clone()], "responses": with(json!({ "201": ok("Order") }), errors(&["401", "403", "404", "409", "422"])) }
        },
        "/api/v1/orders": {
            "get": { "summary": "A member's own orders, or a staff subtree's", "responses": with(json!({ "200": list_of("Order") }), errors(&["401"])) }
        },
        "/api/v1/points/rules": {
            "post": { "summary": "A union's earning rule, created or changed by its code (staff); the nearest union's rule of a code applies",
                      "requestBody": body("PointRuleInput"), "responses": with(json!({ "201": ok("PointRule") }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "The rules in force for a member (member_id) or an organisation (org_id)",
                     "parameters": [param("member_id", "query", "integer", "the member"), param("org_id", "query", "integer", "the organisation")],
                     "responses": with(json!({ "200": list_of("PointRule") }), errors(&["401", "404"])) }
        },
        "/api/v1/points/awards": {
            "post": { "summary": "Pay a member by a rule for one event ({member_id, rule, event}): once — 201 the first time, 200 and nothing added after",
                      "requestBody": body("AwardInput"), "responses": with(json!({ "201": ok("PointEntryResult"), "200": ok("PointEntryResult") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/points/leaderboard": {
            "get": { "summary": "Points earned in a period by the members of a subtree, most first; ties share a rank",
                     "parameters": [param("org_id", "query", "integer", "subtree (default: the caller's)"), param("from", "query", "string", "YYYY-MM-DD (default: 1 January)"),
                                    param("to", "query", "string", "YYYY-MM-DD inclusive (default: today)"), param("limit", "query", "integer", "1–500, default 50")],
                     "responses": with(json!({ "200": list_of("Standing") }), errors(&["401", "404", "422"])) }
        },
        "/api/v1/orders/{id}/cancel": {
            "post": { "summary": "Cancel a placed order (its member or staff): stock and points come back, once",
                      "parameters": [id.clone()], "responses": with(json!({ "200": ok("Order") }), errors(&["401", "403", "404", "409"])) }
        },
        "/api/v1/orders/{id}/fulfil": {
            "post": { "summary": "Hand out a placed order (staff)", "parameters": [id], "responses": with(json!({ "200": ok("Order") }), errors(&["401", "403", "404", "409"])) }
        }
    });
    let schemas = json!({
        "PointEntryInput": { "type": "object", "required": ["member_id", "amount", "reason"], "properties": {
            "member_id": { "type": "integer" }, "amount": { "type": "integer", "description": "signed, non-zero" },
            "reason": { "type": "string" }, "idempotency_key": { "type": "string" },
            "valid_days": { "type": "integer", "minimum": 1, "maximum": 3650, "description": "days the granted points stay valid (positive amounts); omitted: no expiry" } } },
        "PointEntry": { "type": "object", "properties": { "id": { "type": "integer" }, "member_id": { "type": "integer" }, "amount": { "type": "integer" },
            "reason": { "type": "string" }, "source": { "type": "string" }, "source_id": { "type": ["integer", "null"] },
            "idempotency_key": { "type": ["string", "null"] }, "created_at": { "type": "integer" },
            "expires_at": { "type": ["integer", "null"], "description": "when these earned points expire (ms since epoch); source 'expiry' entries debit what was left" } } },
        "PointEntryResult": { "type": "object", "properties": { "id": { "type": "integer" }, "added": { "type": "boolean" },
            "entry": { "$ref": "#/components/schemas/PointEntry" }, "balance": { "type": "integer" }, "lifetime": { "type": "integer" } } },
        "PointBalance": { "type": "object", "properties": { "member_id": { "type": "integer" }, "balance": { "type": "integer", "description": "spendable now (expired points excluded)" },
            "lifetime": { "type": "integer", "description": "all points ever earned (refunds and expiry do not change it); rankings use it" },
            "expiring_30d": { "type": "integer", "description": "points that expire within 30 days" }, "next_expiry_at": { "type": ["integer", "null"] } } },
        "CatalogItemInput": { "type": "object", "properties": { "org_id": { "type": "integer" }, "name": { "type": "string" }, "description": { "type": "string" },
            "price": { "type": "integer", "description": "points" }, "stock": { "type": "integer" },
            "per_member_limit": { "type": "integer", "description": "0 = no limit" }, "active": { "type": "boolean" },
            "valid_until": { "type": "string", "format": "date", "description": "the last day it can be redeemed (Beijing time); \"\" removes the end" } } },
        "CatalogItem": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" },
            "name": { "type": "string" }, "description": { "type": "string" }, "price": { "type": "integer" }, "stock": { "type": "integer" },
            "per_member_limit": { "type": "integer" }, "active": { "type": "boolean" },
            "valid_until": { "type": ["string", "null"], "format": "date", "description": "the last day it can be redeemed; after it members no longer see it and redeeming answers 409" } } },
        "PointRuleInput": { "type": "object", "required": ["org_id", "code", "label", "points"], "properties": { "org_id": { "type": "integer" },
            "code": { "type": "string", "example": "course_completed" }, "label": { "type": "string" }, "points": { "type": "integer" }, "active": { "type": "boolean" },
            "valid_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 3650, "description": "days each payment stays valid; null: no expiry" } } },
        "PointRule": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" },
            "code": { "type": "string" }, "label": { "type": "string" }, "points": { "type": "integer" }, "active": { "type": "boolean" },
            "valid_days": { "type": ["integer", "null"] } } },
        "AwardInput": { "type": "object", "required": ["member_id", "rule", "event"], "properties": { "member_id": { "type": "integer" },
            "rule": { "type": "string" }, "event": { "type": "string", "example": "course:42" } } },
        "Standing": { "type": "object", "properties": { "rank": { "type": "integer" }, "member_id": { "type": "integer" }, "name": { "type": "string" },
            "org_name": { "type": "string" }, "points": { "type": "integer" } } },
        "Order": { "type": "object", "properties": { "id": { "type": "integer" }, "item_id": { "type": "integer" }, "item_name": { "type": "string" },
            "member_id": { "type": "integer" }, "points": { "type": "integer" }, "state": { "type": "string", "enum": ["placed", "fulfilled", "cancelled"] },
            "created_at": { "type": "integer" } } }
    });
    merge(spec, paths, schemas);
}

/// The academy: courses, offline sessions with enrolment, check-in and feedback.
fn academy(spec: &mut Value) {
    let id = param("id", "path", "integer", "record id");
    let ok_any = json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } });
    let paths = json!({
        "/api/v1/courses": {
            "post": { "summary": "A course at a union (staff): title, category (职业技能/办公技能/文化艺术/思想政治, or one added at the union or above), teacher_member_id, description",
                      "requestBody": body("CourseInput"), "responses": with(json!({ "201": ok("Course") }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "Courses: staff see their subtree's; a member sees their union's and the unions' above",
                     "responses": with(json!({ "200": list_of("Course") }), errors(&["401", "403"])) }
        },
        "/api/v1/courses/{id}": {
            "get": { "summary": "A course with its sessions (places taken, waiting) and its rating", "parameters": [id.clone()],
                     "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "404"])) },
            "patch": { "summary": "Change a course (staff): title, category, teacher_member_id (0 clears), description, watch_percent (10–100, the share of each lesson to watch); what is left out stays",
                       "parameters": [id.clone()], "requestBody": body("CourseChanges"), "responses": with(json!({ "200": ok("Course") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/courses/{id}/sessions": {
            "post": { "summary": "An offline session: place, starts_at/ends_at (epoch ms), capacity, centralised (集中培训); answers its check-in token",
                      "parameters": [id.clone()], "requestBody": body("SessionInput"), "responses": with(json!({ "201": ok_any.clone() }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/courses/{id}/feedback": {
            "put": { "summary": "The member's rating (1–5) and comment, one per course, editable; the first pays the union's `feedback` rule",
                     "parameters": [id.clone()], "requestBody": body("FeedbackInput"), "responses": with(json!({ "201": ok_any.clone(), "200": ok_any.clone() }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "All ratings and comments with the average (staff)", "parameters": [id.clone()], "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "403", "404"])) }
        },
        "/api/v1/sessions/{id}/enrol": {
            "post": { "summary": "Enrol (member): a place while any are left, else the waiting list with a position; 409 when already enrolled",
                      "parameters": [id.clone()], "responses": with(json!({ "201": ok_any.clone() }), errors(&["401", "403", "404", "409"])) }
        },
        "/api/v1/sessions/{id}/cancel": {
            "post": { "summary": "Cancel (member); the first on the waiting list moves up", "parameters": [id.clone()], "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "403", "404", "409"])) }
        },
        "/api/v1/sessions/{id}/checkin": {
            "post": { "summary": "Check in with the token of the session's QR code, from 30 minutes before the start to the end, enrolled members only; completes the course (the `course_completed` rule pays once)",
                      "parameters": [id.clone()], "requestBody": body("CheckinInput"), "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "403", "404", "409", "422"])) }
        },
        "/api/v1/courses/{id}/lessons": {
            "post": { "summary": "A replay (课程回放): title, video_url (http/https; or none, then upload the file), duration_ms (staff)", "parameters": [id.clone()], "requestBody": body("LessonInput"),
                      "responses": with(json!({ "201": ok_any.clone() }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "The course's replays, with the member's credited watch time", "parameters": [id.clone()],
                     "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "404"])) }
        },
        "/api/v1/lessons/{id}/video": {
            "put": { "summary": "Upload the lesson's video into the server's file store (staff): the file as the body with Content-Type video/mp4, video/webm or video/ogg (limit GONGJIANG_MAX_UPLOAD_MB, default 1024). The lesson's video_url becomes /files/lessons/{id}, served with HTTP ranges to the course's members and staff; a new upload replaces the old file",
                     "parameters": [id.clone()],
                     "requestBody": { "required": true, "content": { "video/mp4": { "schema": { "type": "string", "contentMediaType": "video/mp4" } }, "video/webm": { "schema": { "type": "string", "contentMediaType": "video/webm" } } } },
                     "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "403", "404", "413", "422"])) }
        },
        "/api/v1/lessons/{id}/progress": {
            "post": { "summary": "The player reports its position; the server credits watch time no faster than the video plays; all lessons watched to the course's percentage complete the course (pays once)",
                      "parameters": [id.clone()], "requestBody": body("ProgressInput"), "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/academies": {
            "post": { "summary": "A campus: main (总院, at a federation union) or branch (分院, at an enterprise or joint union, attached to the nearest main academy above)",
                      "requestBody": body("AcademyInput"), "responses": with(json!({ "201": ok_any.clone() }), errors(&["401", "403", "404", "409", "422"])) },
            "get": { "summary": "Campuses in the caller's subtree, with their staff", "responses": with(json!({ "200": ok_any.clone() }), errors(&["401"])) }
        },
        "/api/v1/academies/{id}": {
            "get": { "parameters": [id.clone()], "responses": with(json!({ "200": ok_any.clone() }), errors(&["401", "404"])) }
        },
        "/api/v1/academies/{id}/staff": {
            "post": { "summary": "Add a member of the campus's own roster to its staff ({member_id, role})", "parameters": [id.clone()],
                      "requestBody": body("AcademyStaffInput"), "responses": with(json!({ "201": ok_any.clone() }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/sessions/{id}/roster": {
            "get": { "summary": "Enrolled, waiting, attended and cancelled (staff); staff with the roster right also get the check-in token and URL for the QR code (read-only accounts do not)", "parameters": [id],
                     "responses": with(json!({ "200": ok_any }), errors(&["401", "403", "404"])) }
        }
    });
    let schemas = json!({
        "CourseInput": { "type": "object", "required": ["org_id", "title", "category"], "properties": { "org_id": { "type": "integer" }, "title": { "type": "string" },
            "category": { "type": "string", "examples": crate::academy::CATEGORIES,
                "description": "a built-in category or one added at the course's union or above (GET /api/v1/academy/categories?org_id=)" }, "teacher_member_id": { "type": "integer" }, "description": { "type": "string" } } },
        "Course": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" }, "title": { "type": "string" },
            "category": { "type": "string" }, "teacher_member_id": { "type": ["integer", "null"] }, "description": { "type": "string" },
            "watch_percent": { "type": "integer" }, "teacher_name": { "type": ["string", "null"] }, "teacher_skill": { "type": ["string", "null"] },
            "academy_id": { "type": ["integer", "null"], "description": "the campus at the course's union" }, "academy_name": { "type": ["string", "null"] } } },
        "CourseChanges": { "type": "object", "properties": { "title": { "type": "string" }, "category": { "type": "string" }, "teacher_member_id": { "type": "integer" },
            "description": { "type": "string" }, "watch_percent": { "type": "integer", "minimum": 10, "maximum": 100 } } },
        "SessionInput": { "type": "object", "required": ["place", "starts_at", "ends_at", "capacity"], "properties": { "place": { "type": "string" },
            "starts_at": { "type": "integer" }, "ends_at": { "type": "integer" }, "capacity": { "type": "integer" }, "centralised": { "type": "boolean" } } },
        "AcademyInput": { "type": "object", "required": ["org_id", "name", "kind"], "properties": { "org_id": { "type": "integer" }, "name": { "type": "string" },
            "kind": { "type": "string", "enum": ["main", "branch"] } } },
        "AcademyStaffInput": { "type": "object", "required": ["member_id", "role"], "properties": { "member_id": { "type": "integer" }, "role": { "type": "string" } } },
        "LessonInput": { "type": "object", "required": ["title", "duration_ms"], "properties": { "title": { "type": "string" },
            "video_url": { "type": "string", "description": "http(s) link; leave out to upload the video (PUT /api/v1/lessons/{id}/video)" }, "duration_ms": { "type": "integer" } } },
        "ProgressInput": { "type": "object", "required": ["position_ms"], "properties": { "position_ms": { "type": "integer" } } },
        "CheckinInput": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } },
        "FeedbackInput": { "type": "object", "required": ["rating"], "properties": { "rating": { "type": "integer", "minimum": 1, "maximum": 5 }, "comment": { "type": "string" } } }
    });
    merge(spec, paths, schemas);
}

/// The academy's desk: feedback (意见反馈) from workers and its answers, and
/// the course categories an admin adds.
fn academy_desk(spec: &mut Value) {
    let id = param("id", "path", "integer", "record id");
    let paths = json!({
        "/api/v1/academy/messages": {
            "post": { "summary": "Send feedback (意见反馈) to the academy of one's own union (a member account): body trimmed, 1–1000 characters",
                      "requestBody": body("AcademyMessageInput"), "responses": with(json!({ "201": ok("AcademyMessage") }), errors(&["401", "403", "422"])) },
            "get": { "summary": "Staff (roster right) see the messages of their subtree, unanswered first (the longest waiting on top); a member sees their own, newest first",
                     "parameters": [param("org_id", "query", "integer", "subtree of (staff)"), param("unanswered", "query", "boolean", "only those not yet answered"),
                                    param("page", "query", "integer", "page, from 1"), param("per_page", "query", "integer", "1–200, default 20")],
                     "responses": with(json!({ "200": list_of("AcademyMessage") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/academy/messages/{id}/answer": {
            "post": { "summary": "Answer a message (staff with the roster right over its union); answering again replaces the answer (answered_by/answered_at then name the last one; the audit log keeps the earlier answer)",
                      "parameters": [id], "requestBody": body("AcademyAnswerInput"),
                      "responses": with(json!({ "200": ok("AcademyMessage") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/academy/categories": {
            "post": { "summary": "Add a course category at a union (admin over it); offered to the courses of its subtree. 409 for a built-in name or one the union or a union above has",
                      "requestBody": body("CourseCategoryInput"), "responses": with(json!({ "201": ok("CourseCategory") }), errors(&["401", "403", "404", "409", "422"])) },
            "get": { "summary": "The categories a course at org_id may have: the four built-ins, then those added at the union and above",
                     "parameters": [param("org_id", "query", "integer", "the union (default: a member's own, or the caller's first staff union)")],
                     "responses": with(json!({ "200": list_of("CourseCategory") }), errors(&["401", "404", "422"])) }
        }
    });
    let schemas = json!({
        "AcademyMessageInput": { "type": "object", "required": ["body"], "properties": { "body": { "type": "string", "maxLength": 1000 } } },
        "AcademyAnswerInput": { "type": "object", "required": ["answer"], "properties": { "answer": { "type": "string", "maxLength": 1000 } } },
        "AcademyMessage": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" },
            "member_id": { "type": "integer" }, "member_name": { "type": "string" }, "body": { "type": "string" }, "answer": { "type": ["string", "null"] },
            "answered_by": { "type": ["integer", "null"], "description": "account (not shown to members)" }, "answered_by_name": { "type": ["string", "null"] },
            "answered_at": { "type": ["integer", "null"] }, "created_at": { "type": "integer" },
            "replaced": { "type": "boolean", "description": "in the answer's reply: an earlier answer was replaced" } } },
        "CourseCategoryInput": { "type": "object", "required": ["org_id", "name"], "properties": { "org_id": { "type": "integer" }, "name": { "type": "string", "maxLength": 20 } } },
        "CourseCategory": { "type": "object", "properties": { "id": { "type": ["integer", "null"] }, "name": { "type": "string" }, "builtin": { "type": "boolean" },
            "org_id": { "type": ["integer", "null"] }, "org_name": { "type": ["string", "null"] } } }
    });
    merge(spec, paths, schemas);
}

/// Cadre points (工会干部积分制): cadres, rule items, entries with evidence, the yearly ranking.
fn cadre(spec: &mut Value) {
    let id = param("id", "path", "integer", "record id");
    let year = param(
        "year",
        "query",
        "string",
        "YYYY (default: this year, Beijing time)",
    );
    let paths = json!({
        "/api/v1/cadres": {
            "post": { "summary": "Register a union cadre (roster right over org_id); a member is one cadre of a union (409 the second time)",
                      "requestBody": body("CadreInput"), "responses": with(json!({ "201": ok("Cadre") }), errors(&["401", "403", "404", "409", "422"])) },
            "get": { "summary": "The cadres of a subtree, with the year's points", "parameters": [param("org_id", "query", "integer", "subtree of (default: the caller's scope)"), year.clone(),
                         param("page", "query", "integer", "page, from 1"), param("per_page", "query", "integer", "1–200, default 20")],
                     "responses": with(json!({ "200": list_of("Cadre") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/cadres/{id}": {
            "get": { "summary": "A cadre with this year's points", "parameters": [id.clone()], "responses": with(json!({ "200": ok("Cadre") }), errors(&["401", "403", "404"])) },
            "patch": { "summary": "Rename, change the post, or deactivate (active: false; the entries stay)", "parameters": [id.clone()], "requestBody": body("CadrePatch"),
                       "responses": with(json!({ "200": ok("Cadre") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/cadre-points/items": {
            "post": { "summary": "A union's rule item (organisations right over org_id), e.g. 组织培训一次 +5, 未按时报送 −2; it applies to the cadres of the union's whole subtree",
                      "requestBody": body("CadreItemInput"), "responses": with(json!({ "201": ok("CadreItem") }), errors(&["401", "403", "404", "409", "422"])) },
            "get": { "summary": "The items that apply at a union: its own and its ancestors', the highest first",
                     "parameters": [param("org_id", "query", "integer", "the union (default: the caller's)")],
                     "responses": with(json!({ "200": list_of("CadreItem") }), errors(&["401", "403", "404"])) }
        },
        "/api/v1/cadre-points/items/{id}": {
            "patch": { "summary": "Take an item out of use or back ({active}); past entries keep their points", "parameters": [id.clone()], "requestBody": body("CadreItemPatch"),
                       "responses": with(json!({ "200": ok("CadreItem") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/cadre-points/entries": {
            "post": { "summary": "Record points for a cadre by an active item that applies to the cadre's union; points and label are copied from the item",
                      "requestBody": body("CadreEntryInput"), "responses": with(json!({ "201": ok("CadreEntry") }), errors(&["401", "403", "404", "422"])) },
            "get": { "summary": "A cadre's entries, latest day first (one year, or all when year is left out)",
                     "parameters": [param("cadre_id", "query", "integer", "the cadre (required)"), param("year", "query", "string", "YYYY (default: every year)")],
                     "responses": with(json!({ "200": list_of("CadreEntry") }), errors(&["401", "403", "404", "422"])) }
        },
        "/api/v1/cadre-points/entries/{id}/reverse": {
            "post": { "summary": "Reverse an entry once: a new entry of the opposite points on the same day, the reason as its evidence; 409 the second time or for a reversal",
                      "parameters": [id], "requestBody": body("CadreReverseInput"), "responses": with(json!({ "201": ok("CadreEntry") }), errors(&["401", "403", "404", "409", "422"])) }
        },
        "/api/v1/cadre-points/ranking": {
            "get": { "summary": "The year's ranking of a subtree's cadres by their total, most first; ties share a rank (1, 2, 2, 4)",
                     "parameters": [param("org_id", "query", "integer", "subtree (default: the caller's)"), year, param("limit", "query", "integer", "1–5000, default 500")],
                     "responses": with(json!({ "200": list_of("CadreStanding") }), errors(&["401", "403", "404", "422"])) }
        }
    });
    let schemas = json!({
        "CadreInput": { "type": "object", "required": ["org_id", "name"], "properties": { "org_id": { "type": "integer" }, "name": { "type": "string", "maxLength": 50 },
            "title": { "type": "string", "maxLength": 50, "description": "post, e.g. 工会主席" }, "member_id": { "type": ["integer", "null"], "description": "a member on the roster of the union or below" } } },
        "CadrePatch": { "type": "object", "properties": { "name": { "type": "string", "maxLength": 50 }, "title": { "type": "string", "maxLength": 50 }, "active": { "type": "boolean" } } },
        "Cadre": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" }, "name": { "type": "string" },
            "title": { "type": "string" }, "member_id": { "type": ["integer", "null"] }, "active": { "type": "boolean" }, "year": { "type": "integer" },
            "points": { "type": "integer", "description": "the year's total" }, "entries": { "type": "integer", "description": "the year's entries that stand (neither reversed nor reversals)" },
            "created_at": { "type": "integer" }, "updated_at": { "type": "integer" } } },
        "CadreItemInput": { "type": "object", "required": ["org_id", "label", "points"], "properties": { "org_id": { "type": "integer" },
            "label": { "type": "string", "maxLength": 50, "example": "组织培训一次" }, "points": { "type": "integer", "minimum": -1000, "maximum": 1000, "description": "non-zero; negative deducts" } } },
        "CadreItemPatch": { "type": "object", "required": ["active"], "properties": { "active": { "type": "boolean" } } },
        "CadreItem": { "type": "object", "properties": { "id": { "type": "integer" }, "org_id": { "type": "integer" }, "org_name": { "type": "string" }, "label": { "type": "string" },
            "points": { "type": "integer" }, "active": { "type": "boolean" }, "created_at": { "type": "integer" } } },
        "CadreEntryInput": { "type": "object", "required": ["cadre_id", "item_id", "evidence", "occurred_on"], "properties": { "cadre_id": { "type": "integer" }, "item_id": { "type": "integer" },
            "evidence": { "type": "string", "maxLength": 500, "description": "what shows the work was done" }, "occurred_on": { "type": "string", "format": "date", "description": "YYYY-MM-DD, not after today; decides the year" } } },
        "CadreReverseInput": { "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string", "maxLength": 200 } } },
        "CadreEntry": { "type": "object", "properties": { "id": { "type": "integer" }, "cadre_id": { "type": "integer" }, "org_id": { "type": "integer" }, "item_id": { "type": ["integer", "null"] },
            "points": { "type": "integer" }, "label": { "type": "string" }, "evidence": { "type": "string" }, "occurred_on": { "type": "string", "format": "date" },
            "reverses_id": { "type": ["integer", "null"] }, "reversed_by": { "type": ["integer", "null"] }, "account_id": { "type": ["integer", "null"] }, "created_at": { "type": "integer" } } },
        "CadreStanding": { "type": "object", "properties": { "rank": { "type": "integer" }, "cadre_id": { "type": "integer" }, "name": { "type": "string" }, "title": { "type": "string" },
            "org_id": { "type": "integer" }, "org_name": { "type": "string" }, "points": { "type": "integer" }, "entries": { "type": "integer" } } }
    });
    merge(spec, paths, schemas);
}

/// The document: what the programs' API routers describe of themselves
/// (utoipa), over the parts still written out by hand below while the
/// programs move over.
pub fn document(generated: utoipa::openapi::OpenApi) -> Value {
    let mut spec = spec();
    points(&mut spec);
    cadre(&mut spec);
    academy(&mut spec);
    academy_desk(&mut spec);
    let generated = serde_json::to_value(generated).unwrap_or_default();
    merge(
        &mut spec,
        generated["paths"].clone(),
        generated["components"]["schemas"].clone(),
    );
    spec
}
