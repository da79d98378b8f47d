#!/usr/bin/env python3
"""A local fake of the Cloudflare API v4 DNS endpoints daneguard uses, served over HTTPS.

Fidelity: it follows Cloudflare's published API documentation
  - https://developers.cloudflare.com/api/resources/zones/methods/list/ (GET /zones?name=)
  - https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/
    (GET /zones/{zone_id}/dns_records with type=, name= (exact match), page=, per_page=
    (default 100); TLSA records carry `content` and the structured
    `data {usage, selector, matching_type, certificate}`)
  - .../records/methods/create/ (POST, answered 200 with the record in `result`)
  - .../records/methods/delete/ (DELETE, answered 200 with `result: {id}`)
  - https://developers.cloudflare.com/fundamentals/api/reference/limits/ (429 with Retry-After)
  - https://developers.cloudflare.com/dns/manage-dns-records/reference/ttl/ (TTL 1 = automatic,
    otherwise 60-86400 s outside Enterprise)
and the v4 envelope {success, errors[{code, message}], messages, result, result_info{page,
per_page, count, total_count, total_pages}} on every answer. Error codes are the ones
Cloudflare sends and users report: 9109 "Invalid access token" (403, e.g. jeessy2/ddns-go#1341,
cert-manager/cert-manager#4465), 6003/6111 for a malformed Authorization header (400), 10000
"Authentication error" (403) for a token without the permission, 81058 "An identical record
already exists." (400), 81044 "Record does not exist." (404), 971 "Please wait and consider
throttling your request speed" (429), 7003 for an unknown zone id (400).
Not modelled: proxying, comments/tags, batch endpoints, other record types' validation.

Control (not Cloudflare API): POST /_fake/seed {"name", "content", "ttl"} (or a list of them)
adds records directly; GET /_fake/records lists all; see fake_common.py for /_fake/log and /_fake/fail.
"""

import re
import uuid
from datetime import datetime, timezone

from fake_common import Reply, common_arguments, serve


def envelope(result, status=200, result_info=None):
    body = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return status, body


def error(status, code, message, chain=None):
    entry = {"code": code, "message": message}
    if chain:
        entry["error_chain"] = chain
    raise Reply(status, {"success": False, "errors": [entry], "messages": [], "result": None})


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Cloudflare:
    def __init__(self, args):
        self.token = args.token
        self.read_only_token = args.read_only_token
        self.zone = {"id": uuid.uuid4().hex, "name": args.zone.rstrip("."), "status": "active",
                     "paused": False, "type": "full", "name_servers": []}
        self.records = {}  # id -> record

    # --- plumbing -------------------------------------------------------------------------
    def failure_body(self, status, retry_after):
        if status == 429:
            return {"success": False, "errors": [{"code": 971, "message":
                    "Please wait and consider throttling your request speed"}],
                    "messages": [], "result": None}
        return {"success": False, "errors": [{"code": 10002, "message":
                "An unknown error has occurred"}], "messages": [], "result": None}

    def control(self, method, path, body):
        if path == "/_fake/seed" and method == "POST":
            items = body if isinstance(body, list) else [body]
            return 200, [self.make_record(item["name"].rstrip("."), item.get("ttl", 300),
                                          item["content"]) for item in items]
        if path == "/_fake/records" and method == "GET":
            return 200, list(self.records.values())
        if path == "/_fake/zone" and method == "GET":
            return 200, self.zone
        return 404, {"error": "unknown control path"}

    def make_record(self, name, ttl, content):
        fields = content.split()
        record = {"id": uuid.uuid4().hex, "zone_id": self.zone["id"],
                  "zone_name": self.zone["name"], "name": name, "type": "TLSA",
                  "content": content, "proxiable": False, "proxied": False, "ttl": ttl,
                  "locked": False, "meta": {"auto_added": False, "source": "primary"},
                  "comment": None, "tags": [], "created_on": now(), "modified_on": now(),
                  "data": {"usage": int(fields[0]), "selector": int(fields[1]),
                           "matching_type": int(fields[2]),
                           "certificate": "".join(fields[3:])}}
        self.records[record["id"]] = record
        return record

    def authenticate(self, headers, writing):
        value = headers.get("Authorization")
        if value is None or not value.startswith("Bearer ") or " " in value[7:]:
            error(400, 6003, "Invalid request headers",
                  [{"code": 6111, "message": "Invalid format for Authorization header"}])
        token = value[7:]
        if token == self.read_only_token:
            if writing:
                error(403, 10000, "Authentication error")
            return
        if token != self.token:
            error(403, 9109, "Invalid access token")

    # --- API ------------------------------------------------------------------------------
    def handle(self, method, path, query, headers, body):
        if not path.startswith("/client/v4/"):
            error(404, 7000, "No route for that URI")
        path = path[len("/client/v4"):]
        self.authenticate(headers, method != "GET")
        if path == "/zones" and method == "GET":
            zones = [self.zone] if query.get("name", self.zone["name"]) == self.zone["name"] else []
            return envelope(zones, result_info={"page": 1, "per_page": 20, "count": len(zones),
                                                "total_count": len(zones), "total_pages": 1})
        match = re.fullmatch(r"/zones/([^/]+)/dns_records(?:/([^/]+))?", path)
        if not match:
            error(404, 7000, "No route for that URI")
        if match.group(1) != self.zone["id"]:
            error(400, 7003, "Could not route to " + path +
                  ", perhaps your object identifier is invalid?")
        record_id = match.group(2)
        if record_id is None and method == "GET":
            return self.list_records(query)
        if record_id is None and method == "POST":
            return self.create(body)
        if record_id is not None and method == "DELETE":
            if record_id not in self.records:
                error(404, 81044, "Record does not exist.")
            del self.records[record_id]
            return envelope({"id": record_id})
        if record_id is not None and method == "GET":
            if record_id not in self.records:
                error(404, 81044, "Record does not exist.")
            return envelope(self.records[record_id])
        error(405, 10000, "Method not allowed")

    def list_records(self, query):
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", "100"))
        except ValueError:
            error(400, 1004, "DNS Validation Error")
        if page < 1 or per_page < 5 or per_page > 5000000:
            error(400, 1004, "DNS Validation Error")
        matching = [r for r in self.records.values()
                    if ("type" not in query or r["type"] == query["type"])
                    and ("name" not in query or r["name"] == query["name"].rstrip("."))]
        total_pages = max(1, -(-len(matching) // per_page))
        chunk = matching[(page - 1) * per_page: page * per_page]
        return envelope(chunk, result_info={"page": page, "per_page": per_page,
                                            "count": len(chunk), "total_count": len(matching),
                                            "total_pages": total_pages})

    def create(self, body):
        if not isinstance(body, dict) or body.get("type") != "TLSA":
            error(400, 9000, "DNS name is invalid.")
        name = str(body.get("name", "")).rstrip(".")
        if not (name == self.zone["name"] or name.endswith("." + self.zone["name"])):
            error(400, 9000, "DNS name is invalid.")
        ttl = body.get("ttl", 1)
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            error(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
        data = body.get("data")
        if not isinstance(data, dict):
            error(400, 9101, "data is required for TLSA records.")
        try:
            usage, selector, matching = (int(data["usage"]), int(data["selector"]),
                                         int(data["matching_type"]))
            certificate = str(data["certificate"])
        except (KeyError, TypeError, ValueError):
            error(400, 9101, "TLSA record data is invalid.")
        if not re.fullmatch(r"[0-9a-fA-F]+", certificate) or len(certificate) % 2:
            error(400, 9101, "TLSA certificate must be hexadecimal.")
        content = f"{usage} {selector} {matching} {certificate.lower()}"
        for record in self.records.values():
            if record["name"] == name and record["type"] == "TLSA" and record["content"] == content:
                error(400, 81058, "An identical record already exists.")
        return envelope(self.make_record(name, ttl, content))


def main():
    parser = common_arguments("Cloudflare API v4 fake")
    parser.add_argument("--zone", required=True)
    args = parser.parse_args()
    serve(Cloudflare(args), args)


if __name__ == "__main__":
    main()
