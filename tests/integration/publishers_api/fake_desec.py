#!/usr/bin/env python3
"""A local fake of the deSEC DNS API endpoints daneguard uses, served over HTTPS.

Fidelity: it follows deSEC's documentation (desec-io/desec-stack, docs/, rendered at
https://desec.readthedocs.io/):
  - docs/dns/domains.rst: GET /api/v1/domains/{name}/ returns the domain object with
    `minimum_ttl`; 404 {"detail": "Not found."} for a domain the account does not own.
  - docs/dns/rrsets.rst: RRset objects {created, domain, subname, name, type, records, ttl,
    touched}; GET/PUT/PATCH/DELETE /api/v1/domains/{name}/rrsets/{subname}/{type}/ with "@" for
    the apex (404 when absent; PATCH/PUT answer 200, or 204 when `records` is empty, which
    deletes); bulk PATCH/PUT of /rrsets/ with a list (atomic: all or nothing, 400 with one error
    object per item); POST /rrsets/ answers 201; `ttl` below the domain's minimum_ttl is a 400
    field error; records in presentation format, canonicalised (TLSA hex in lower case).
  - docs/auth/tokens.rst, docs/authentication.rst: "Authorization: Token ..."; 401
    {"detail": "Invalid token."}; a token whose policy forbids the write gets 403
    {"detail": "You do not have permission to perform this action."}.
  - docs/rate-limits.rst: 429 with a Retry-After header and
    {"detail": "Request was throttled. Expected available in N seconds."}.
Not modelled: pagination of RRset lists (not used), token policy objects, DNSSEC keys.

Control (not deSEC API): POST /_fake/seed {"subname", "type", "ttl", "records"} stores an RRset
directly; GET /_fake/rrsets lists all; see fake_common.py for /_fake/log and /_fake/fail.
"""

import re
from datetime import datetime, timezone

from fake_common import Reply, common_arguments, serve


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def detail(status, text):
    raise Reply(status, {"detail": text})


class Desec:
    def __init__(self, args):
        self.token = args.token
        self.read_only_token = args.read_only_token
        self.domain = args.domain.rstrip(".")
        self.minimum_ttl = args.minimum_ttl
        self.rrsets = {}  # (subname, type) -> rrset

    def failure_body(self, status, retry_after):
        if status == 429:
            return {"detail": f"Request was throttled. Expected available in "
                              f"{retry_after or 1} seconds."}
        return {"detail": "A server error occurred."}

    def control(self, method, path, body):
        if path == "/_fake/seed" and method == "POST":
            return 200, self.store(body["subname"], body.get("type", "TLSA"), body["ttl"],
                                   body["records"])
        if path == "/_fake/rrsets" and method == "GET":
            return 200, list(self.rrsets.values())
        return 404, {"detail": "unknown control path"}

    def store(self, subname, rrtype, ttl, records):
        key = (subname, rrtype)
        rrset = self.rrsets.get(key) or {"created": now(), "domain": self.domain,
                                         "subname": subname, "type": rrtype}
        rrset.update({"name": (subname + "." if subname else "") + self.domain + ".",
                      "records": [self.canonical(r) for r in records], "ttl": ttl,
                      "touched": now()})
        self.rrsets[key] = rrset
        return rrset

    @staticmethod
    def canonical(record):
        fields = record.split()
        if len(fields) >= 4:
            return " ".join(fields[:3]) + " " + "".join(fields[3:]).lower()
        return record

    def authenticate(self, headers, writing):
        value = headers.get("Authorization")
        if value is None:
            detail(401, "Authentication credentials were not provided.")
        if not value.startswith("Token ") or value[6:] not in (self.token, self.read_only_token):
            detail(401, "Invalid token.")
        if writing and value[6:] == self.read_only_token:
            detail(403, "You do not have permission to perform this action.")

    def validate(self, item, creating):
        """Field errors of one RRset write, {} when valid."""
        errors = {}
        if item.get("type") != "TLSA" and item.get("type") is not None:
            if not re.fullmatch(r"[A-Z0-9]+", str(item.get("type"))):
                errors["type"] = ["Type must be uppercase."]
        records = item.get("records")
        if records is None and creating:
            errors["records"] = ["This field is required."]
        elif records is not None:
            if not isinstance(records, list):
                errors["records"] = ["Expected a list of items."]
            else:
                for record in records:
                    if not re.fullmatch(r"[0-9]+ [0-9]+ [0-9]+ [0-9a-fA-F ]+", str(record)):
                        errors["records"] = [f"Record content malformed: {record}"]
        ttl = item.get("ttl")
        if ttl is None and creating and records:
            errors["ttl"] = ["This field is required."]
        elif ttl is not None and records != []:
            if not isinstance(ttl, int) or ttl < self.minimum_ttl:
                errors["ttl"] = [f"Ensure this value is greater than or equal to "
                                 f"{self.minimum_ttl}."]
            elif ttl > 604800:
                errors["ttl"] = ["Ensure this value is less than or equal to 604800."]
        return errors

    def handle(self, method, path, query, headers, body):
        self.authenticate(headers, method not in ("GET", "HEAD", "OPTIONS"))
        match = re.fullmatch(r"/api/v1/domains/([^/]+)/(?:rrsets/(?:([^/]+)/([^/]+)/)?)?", path)
        if not match or match.group(1) != self.domain:
            detail(404, "Not found.")
        if path == f"/api/v1/domains/{self.domain}/":
            if method != "GET":
                detail(405, f'Method "{method}" not allowed.')
            return 200, {"created": now(), "published": now(), "name": self.domain,
                         "minimum_ttl": self.minimum_ttl, "touched": now(), "keys": []}
        subname, rrtype = match.group(2), match.group(3)
        if subname is None:
            return self.bulk(method, body)
        subname = "" if subname == "@" else subname
        key = (subname, rrtype)
        if method == "GET":
            if key not in self.rrsets:
                detail(404, "Not found.")
            return 200, self.rrsets[key]
        if method == "DELETE":
            self.rrsets.pop(key, None)
            return 204, None
        if method in ("PUT", "PATCH"):
            if key not in self.rrsets:
                detail(404, "Not found.")
            item = dict(body or {})
            errors = self.validate(item, method == "PUT")
            if errors:
                raise Reply(400, errors)
            if item.get("records") == []:
                del self.rrsets[key]
                return 204, None
            current = self.rrsets[key]
            return 200, self.store(subname, rrtype, item.get("ttl", current["ttl"]),
                                   item.get("records", current["records"]))
        detail(405, f'Method "{method}" not allowed.')

    def bulk(self, method, body):
        if method == "POST":
            items = body if isinstance(body, list) else [body]
        elif method in ("PUT", "PATCH"):
            if not isinstance(body, list):
                raise Reply(400, {"non_field_errors": ["Expected a list of items but got dict."]})
            items = body
        else:
            detail(405, f'Method "{method}" not allowed.')
        errors, seen = [], set()
        for item in items:
            key = (item.get("subname", ""), item.get("type"))
            exists = key in self.rrsets
            problems = self.validate(item, not exists or method in ("POST", "PUT"))
            if method == "POST" and exists:
                problems["__all__"] = ["Another RRset with the same subdomain and type exists "
                                       "for this domain."]
            if key in seen:
                problems["__all__"] = ["Same subname and type as in another item."]
            seen.add(key)
            errors.append(problems)
        if any(errors):
            raise Reply(400, errors)  # atomic: nothing applied
        results = []
        for item in items:
            subname, rrtype = item.get("subname", ""), item["type"]
            key = (subname, rrtype)
            if item.get("records") == []:
                self.rrsets.pop(key, None)
                continue
            current = self.rrsets.get(key, {})
            results.append(self.store(subname, rrtype, item.get("ttl", current.get("ttl")),
                                      item.get("records", current.get("records", []))))
        if method == "POST" and not isinstance(body, list):
            return 201, results[0]
        return (201 if method == "POST" else 200), results


def main():
    parser = common_arguments("deSEC API fake")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--minimum-ttl", type=int, default=3600)
    args = parser.parse_args()
    serve(Desec(args), args)


if __name__ == "__main__":
    main()
