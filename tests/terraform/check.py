#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make terraform-check: every .tf file under terraform/ parses, and the tree says what
issue 12 asks of it, checked on the parsed JSON (no terraform binary, no provider, no
network):

  parse           every .tf parses with @cdktf/hcl2json
  roots           two region roots with distinct regions and a global root; every root
                  pins terraform >= 1.5, hashicorp/aws ~> 5.x, cloudflare/cloudflare ~> 4.x
                  where it uses them, and has a partial S3 backend (no settings in the code);
                  a validation names no other variable (Terraform < 1.9 refuses that)
  max_size        every chain's auto-scaling group has max_size <= 6: literal values, the
                  validation blocks on the chains variables, and every default
  requester_pays  the uncompressed snapshot bucket is requester-pays, the compressed one not
  cloudfront      CloudFront's origin is the compressed bucket, through an S3 origin access
                  control; that bucket's policy lets only this distribution read; it blocks
                  every kind of public access
  alarms          a BytesDownloaded alarm per TB (2^40 bytes, AWS's billing unit) on the
                  requester-pays bucket (S3 request metrics with a filter) and on the
                  distribution (Region=Global, in us-east-1), each notifying the SNS topic
  world_ingress   nothing open to 0.0.0.0/0 or ::/0 but 80/443 on the edge and the p2p port
                  on the nodes; no range and no "all protocols" to the world; node RPC from
                  security groups only; SSH nowhere (no port 22, no key pair)
  secrets         no default on a variable named like a secret, such variables sensitive; no
                  credential in a provider block; no literal key or password in any file
  rds             every DB instance Multi-AZ, encrypted, deletion-protected, not public, its
                  password managed by RDS or a sensitive variable without default
  docs            every variable and every root output named in terraform/README.md

When a terraform binary is on PATH, `terraform fmt -check` runs too (offline); validate
and plan need the providers, which terraform init downloads, so they are not run here
(tf-test.sh runs terraform test where the AWS provider is installed).

Then it proves each check can fail: it breaks one thing per copy of the tree
(MUTATIONS below) and requires the named check to fail on that copy.

  NODE_PATH=$PF_CACHE/npm/node_modules python3 tests/terraform/check.py [TREE]
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORLD = ("0.0.0.0/0", "::/0")
# 1 TB as AWS bills it (its "GB" is 2^30 bytes), written here independently of the tree.
TB = 1 << 40
P2P_PORT = 30333  # the Polkadot SDK's default libp2p port
SECRET_NAME = re.compile(r"password|token|secret|key", re.I)
LITERAL_CREDENTIALS = [
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(password|api_token|api_key|secret_key|access_key|token)\s*=\s*\"[^\"$]+\"", re.I),
     "a literal credential assignment"),
]


class Module:
    """The blocks of one directory (a root or a module), merged over its files."""

    def __init__(self, path):
        self.path = path
        self.resources = []  # (type, name, body, file)
        self.data = []
        self.variables = {}  # name -> body
        self.locals = {}
        self.modules = []  # (name, body, file)
        self.providers = []  # (name, body, file)
        self.terraform = []  # (body, file)

    def res(self, rtype):
        return [(n, b, f) for t, n, b, f in self.resources if t == rtype]

    def var_default(self, expr):
        m = re.fullmatch(r"\$\{var\.(\w+)\}", expr) if isinstance(expr, str) else None
        if m and m.group(1) in self.variables:
            return self.variables[m.group(1)].get("default")
        return expr


def load_tree(parsed):
    mods = {}
    errors = []
    for rel, doc in parsed.items():
        if "error" in doc and len(doc) == 1:
            errors.append(f"{rel}: {doc['error']}")
            continue
        d = os.path.dirname(rel)
        m = mods.setdefault(d, Module(d))
        for rtype, named in doc.get("resource", {}).items():
            for name, bodies in named.items():
                for b in bodies:
                    m.resources.append((rtype, name, b, rel))
        for rtype, named in doc.get("data", {}).items():
            for name, bodies in named.items():
                for b in bodies:
                    m.data.append((rtype, name, b, rel))
        for name, bodies in doc.get("variable", {}).items():
            m.variables[name] = bodies[0]
        for block in doc.get("locals", []):
            m.locals.update(block)
        for name, bodies in doc.get("module", {}).items():
            for b in bodies:
                m.modules.append((name, b, rel))
        for name, bodies in doc.get("provider", {}).items():
            for b in bodies:
                m.providers.append((name, b, rel))
        for b in doc.get("terraform", []):
            m.terraform.append((b, rel))
    return mods, errors


def blocks(body, key):
    """A nested block (a list of bodies), static or dynamic."""
    out = list(body.get(key, []) or [])
    for dyn in body.get("dynamic", {}).get(key, []):
        for c in dyn.get("content", []):
            out.append(c)
    return out


def validations(var):
    return [v.get("condition", "") for v in var.get("validation", [])]


# ---- the checks: each returns a list of failures ("file: what") ---------------------------

def check_roots(mods, raw):
    fails = []
    live = {d: m for d, m in mods.items() if d.startswith("live/")}
    region_roots = {d: m for d, m in live.items() if d != "live/global"}
    if "live/global" not in live:
        fails.append("live/global: no global root")
    if len(region_roots) != 2:
        fails.append(f"live/: {len(region_roots)} region roots, want 2 ({sorted(region_roots)})")
    seen = {}
    for d, m in sorted(region_roots.items()):
        var = m.variables.get("region")
        region = var.get("default") if var else None
        if region != os.path.basename(d):
            fails.append(f"{d}: variable region defaults to {region!r}, not the directory's name")
        if var and f'var.region == "{region}"' not in " ".join(validations(var)):
            fails.append(f"{d}: variable region has no validation pinning it to {region!r}")
        aws = [b for n, b, f in m.providers if n == "aws"]
        if not aws or any(b.get("region") != "${var.region}" for b in aws):
            fails.append(f"{d}: the aws provider does not take var.region")
        if region in seen:
            fails.append(f"{d}: region {region} is also {seen[region]}'s")
        seen[region] = d
    for d, m in sorted(mods.items()):
        uses = {t.split("_")[0] for t, *_ in m.resources + m.data}
        uses |= {n for n, *_ in m.providers}
        for body, f in m.terraform:
            rv = body.get("required_version", "")
            if not re.fullmatch(r">=\s*1\.([5-9]|\d\d+)(\.\d+)?", rv):
                fails.append(f"{f}: required_version {rv!r}, want >= 1.5")
            rp = {}
            for blk in body.get("required_providers", []):
                rp.update(blk)
            for prov, src, ver in (("aws", "hashicorp/aws", r"~>\s*5\.\d+"),
                                   ("cloudflare", "cloudflare/cloudflare", r"~>\s*4\.\d+")):
                if prov in uses or prov in rp:
                    p = rp.get(prov)
                    if not p or p.get("source") != src or not re.fullmatch(ver, p.get("version", "")):
                        fails.append(f"{f}: {prov} not pinned as {src} ~> {ver[5]}.x ({p})")
        # Before Terraform 1.9 a validation may only name its own variable.
        for vname, v in m.variables.items():
            for cond in validations(v):
                others = set(re.findall(r"\bvar\.(\w+)", cond)) - {vname}
                if others:
                    fails.append(f"{d}: variable {vname}: validation names var.{sorted(others)[0]} "
                                 "(Terraform < 1.9 refuses it)")
        if d.startswith("live/"):
            backends = [(b["backend"], f) for b, f in m.terraform if "backend" in b]
            if len(backends) != 1 or list(backends[0][0]) != ["s3"]:
                fails.append(f"{d}: want one backend \"s3\" block")
            elif backends[0][0]["s3"] != [{}]:
                fails.append(f"{backends[0][1]}: the s3 backend holds settings {backends[0][0]['s3']}; "
                             "they belong in -backend-config")
    return fails


def check_max_size(mods, raw):
    fails = []
    groups = 0
    for d, m in sorted(mods.items()):
        chains = m.variables.get("chains")
        if chains and "max_size" in chains.get("type", ""):
            if not any(re.search(r"\bc\.max_size\s*<=\s*6\b", c) for c in validations(chains)):
                fails.append(f"{d}: variable chains has no validation max_size <= 6")
            for chain, v in (chains.get("default") or {}).items():
                if not isinstance(v.get("max_size"), int) or v["max_size"] > 6:
                    fails.append(f"{d}: chains default {chain} max_size {v.get('max_size')!r} > 6")
        for name, body, f in m.res("aws_autoscaling_group"):
            groups += 1
            ms = body.get("max_size")
            if isinstance(ms, int):
                if ms > 6:
                    fails.append(f"{f}: aws_autoscaling_group.{name} max_size {ms} > 6")
            elif ms == "${each.value.max_size}" and body.get("for_each") == "${var.chains}":
                v = m.variables.get("chains", {})
                if not any(re.search(r"\bc\.max_size\s*<=\s*6\b", c) for c in validations(v)):
                    fails.append(f"{f}: aws_autoscaling_group.{name} takes var.chains, which is not validated")
            else:
                fails.append(f"{f}: aws_autoscaling_group.{name} max_size {ms!r}: not a literal <= 6 "
                             "nor each.value.max_size of a validated var.chains")
        for name, body, f in m.modules:
            ch = body.get("chains")
            if isinstance(ch, dict):
                for chain, v in ch.items():
                    if not isinstance(v.get("max_size"), int) or v["max_size"] > 6:
                        fails.append(f"{f}: module.{name} chains {chain} max_size {v.get('max_size')!r}")
    if groups < 1:
        fails.append("no aws_autoscaling_group at all")
    # Each region root passes chains with both chains by default.
    for d, m in sorted(mods.items()):
        if d.startswith("live/") and d != "live/global":
            default = (m.variables.get("chains") or {}).get("default") or {}
            if not {"polkadot", "kusama"} <= set(default):
                fails.append(f"{d}: chains default lacks polkadot or kusama ({sorted(default)})")
    return fails


def storage(mods):
    m = mods.get("modules/storage")
    if not m:
        return None, ["modules/storage: missing"]
    return m, []


def check_requester_pays(mods, raw):
    m, fails = storage(mods)
    if not m:
        return fails
    rp = m.res("aws_s3_bucket_request_payment_configuration")
    ok = [b for n, b, f in rp if b.get("payer") == "Requester" and '["uncompressed"]' in b.get("bucket", "")]
    if len(ok) != 1:
        fails.append(f"modules/storage: the uncompressed bucket is not requester-pays ({rp})")
    if any('["compressed"]' in b.get("bucket", "") and b.get("payer") == "Requester" for n, b, f in rp):
        fails.append("modules/storage: the compressed bucket is requester-pays (CloudFront cannot pay)")
    return fails


def policy_doc(m, ref):
    mm = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}", ref or "")
    if not mm:
        return None
    for t, n, b, f in m.data:
        if t == "aws_iam_policy_document" and n == mm.group(1):
            return b
    return None


def check_cloudfront(mods, raw):
    m, fails = storage(mods)
    if not m:
        return fails
    dists = m.res("aws_cloudfront_distribution")
    if len(dists) != 1:
        return fails + [f"modules/storage: {len(dists)} CloudFront distributions, want 1"]
    dname, dist, dfile = dists[0]
    origins = blocks(dist, "origin")
    if len(origins) != 1:
        fails.append(f"{dfile}: {len(origins)} origins, want the compressed bucket only")
    for o in origins:
        if o.get("domain_name") != '${aws_s3_bucket.snap["compressed"].bucket_regional_domain_name}':
            fails.append(f"{dfile}: origin {o.get('domain_name')!r} is not the compressed bucket")
        oac = re.fullmatch(r"\$\{aws_cloudfront_origin_access_control\.(\w+)\.id\}",
                           o.get("origin_access_control_id", ""))
        ob = [b for n, b, f in m.res("aws_cloudfront_origin_access_control") if oac and n == oac.group(1)]
        if not ob:
            fails.append(f"{dfile}: origin without an origin access control")
        elif ob[0].get("origin_access_control_origin_type") != "s3" or ob[0].get("signing_behavior") != "always":
            fails.append(f"{dfile}: the origin access control does not sign every request to S3")
        if o.get("s3_origin_config"):
            fails.append(f"{dfile}: legacy origin access identity next to the OAC")
    for beh in blocks(dist, "default_cache_behavior") + blocks(dist, "ordered_cache_behavior"):
        if beh.get("viewer_protocol_policy") not in ("redirect-to-https", "https-only"):
            fails.append(f"{dfile}: a cache behaviour serves plain HTTP")
    pols = [(n, b, f) for n, b, f in m.res("aws_s3_bucket_policy") if '["compressed"]' in b.get("bucket", "")]
    if len(pols) != 1:
        return fails + [f"modules/storage: {len(pols)} policies on the compressed bucket, want 1"]
    doc = policy_doc(m, pols[0][1].get("policy"))
    if doc is None:
        return fails + [f"{pols[0][2]}: the compressed bucket's policy is not a policy document data source"]
    for st in doc.get("statement", []):
        if st.get("effect", "Allow") != "Allow":
            continue
        princ = st.get("principals", [])
        if [(p.get("type"), p.get("identifiers")) for p in princ] != [("Service", ["cloudfront.amazonaws.com"])]:
            fails.append(f"{pols[0][2]}: the compressed bucket lets {princ} read, not only CloudFront")
        cond = [(c.get("test"), c.get("variable"), c.get("values")) for c in st.get("condition", [])]
        want = ("StringEquals", "AWS:SourceArn", [f"${{aws_cloudfront_distribution.{dname}.arn}}"])
        if want not in cond:
            fails.append(f"{pols[0][2]}: CloudFront may read without AWS:SourceArn = this distribution")
    pab = [b for n, b, f in m.res("aws_s3_bucket_public_access_block") if '["compressed"]' in b.get("bucket", "")]
    keys = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    if len(pab) != 1 or not all(pab[0].get(k) is True for k in keys):
        fails.append("modules/storage: the compressed bucket does not block every public access")
    return fails


def alarm_threshold_ok(m, body):
    """The threshold is k TB per alarm, for each k of a validated whole-TB list holding 1."""
    thr = body.get("threshold")
    if isinstance(thr, (int, float)):
        return thr >= TB and thr % TB == 0
    mm = re.fullmatch(r"\$\{tonumber\(each\.key\) \* local\.(\w+)\}", thr or "")
    if not mm or m.locals.get(mm.group(1)) != TB:
        return False
    fe = re.fullmatch(r"\$\{toset\(\[for t in var\.(\w+) : tostring\(t\)\]\)\}", body.get("for_each", ""))
    if not fe:
        return False
    var = m.variables.get(fe.group(1), {})
    return 1 in (var.get("default") or []) and any("floor(t) == t" in c and "t >= 1" in c for c in validations(var))


def check_alarms(mods, raw):
    m, fails = storage(mods)
    if not m:
        return fails
    topics = [n for n, b, f in m.res("aws_sns_topic")]
    found = {"s3": 0, "cdn": 0}
    metric_cfgs = {n: b for n, b, f in m.res("aws_s3_bucket_metric")}
    for name, b, f in m.res("aws_cloudwatch_metric_alarm"):
        if b.get("metric_name") != "BytesDownloaded":
            continue
        dims = b.get("dimensions", {})
        kind = {"AWS/S3": "s3", "AWS/CloudFront": "cdn"}.get(b.get("namespace"))
        if kind is None:
            fails.append(f"{f}: alarm {name} in namespace {b.get('namespace')!r}")
            continue
        if kind == "s3":
            if '["uncompressed"]' not in dims.get("BucketName", ""):
                fails.append(f"{f}: alarm {name} does not watch the requester-pays bucket")
                continue
            fm = re.fullmatch(r"\$\{aws_s3_bucket_metric\.(\w+)\.name\}", dims.get("FilterId", ""))
            cfg = metric_cfgs.get(fm.group(1)) if fm else None
            if not cfg or '["uncompressed"]' not in cfg.get("bucket", "") or not any(
                    flt.get("prefix") for flt in cfg.get("filter", [])):
                fails.append(f"{f}: alarm {name}: FilterId is not a filtered metrics configuration "
                             "of the requester-pays bucket (S3 publishes BytesDownloaded only for one)")
                continue
        else:
            if dims.get("Region") != "Global" or not re.fullmatch(
                    r"\$\{aws_cloudfront_distribution\.\w+\.id\}", dims.get("DistributionId", "")):
                fails.append(f"{f}: alarm {name}: not DistributionId=<the distribution>, Region=Global")
                continue
        if b.get("statistic") != "Sum" or b.get("comparison_operator") not in (
                "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"):
            fails.append(f"{f}: alarm {name} is not a Sum over the period above the threshold")
            continue
        if not alarm_threshold_ok(m, b):
            fails.append(f"{f}: alarm {name}: threshold {b.get('threshold')!r} is not k x 2^40 bytes "
                         "for each k of a validated whole-TB list holding 1")
            continue
        if not any(a in [f"${{aws_sns_topic.{t}.arn}}" for t in topics] for a in b.get("alarm_actions", [])):
            fails.append(f"{f}: alarm {name} notifies no SNS topic of the module")
            continue
        found[kind] += 1
    for kind, what in (("s3", "the requester-pays bucket"), ("cdn", "the CloudFront distribution")):
        if not found[kind]:
            fails.append(f"modules/storage: no per-TB download alarm on {what}")
    # CloudFront's metrics exist in us-east-1 only: the root using the storage must be there.
    users = [(d, mm) for d, mm in mods.items() if any(
        b.get("source", "").endswith("modules/storage") for n, b, f in mm.modules)]
    if len(users) != 1:
        fails.append(f"the storage module is used by {len(users)} roots, want 1")
    for d, mm in users:
        aws = [b for n, b, f in mm.providers if n == "aws"]
        region = aws[0].get("region") if aws else None
        region = mm.var_default(region)
        if region != "us-east-1":
            fails.append(f"{d}: uses the storage with an aws provider in {region!r}, not us-east-1")
    return fails


def cidr_vars_safe(m, expr):
    """A non-literal cidr list is accepted when every variable it reaches through locals has a
    validation that keeps the world out (refuses 0.0.0.0/0 and ::/0, or fixes a /16)."""
    seen = set()
    todo = [expr]
    names = set()
    while todo:
        e = todo.pop()
        if not isinstance(e, str):
            continue
        for loc in re.findall(r"local\.(\w+)", e):
            if loc not in seen:
                seen.add(loc)
                todo.append(json.dumps(m.locals.get(loc)))
        names |= set(re.findall(r"var\.(\w+)", e))
    if not names:
        return False
    for n in names:
        conds = " ".join(validations(m.variables.get(n, {})))
        refuses = f'!contains(var.{n}, "0.0.0.0/0")' in conds and f'!contains(var.{n}, "::/0")' in conds
        fixed = re.search(rf'endswith\(var\.{n}, "/(\d+)"\)', conds)
        if not (refuses or (fixed and int(fixed.group(1)) > 0)):
            return False
    return True


def ingress_rules(m):
    """(group, rule, file) for inline ingress blocks and standalone rules."""
    out = []
    for name, b, f in m.res("aws_security_group"):
        for r in blocks(b, "ingress"):
            out.append((name, r, f))
    for name, b, f in m.res("aws_security_group_rule"):
        if b.get("type") == "ingress":
            g = re.search(r"aws_security_group\.(\w+)\.id", b.get("security_group_id", ""))
            out.append((g.group(1) if g else name, b, f))
    for name, b, f in m.res("aws_vpc_security_group_ingress_rule"):
        g = re.search(r"aws_security_group\.(\w+)\.id", b.get("security_group_id", ""))
        r = dict(b)
        r["cidr_blocks"] = [b["cidr_ipv4"]] if "cidr_ipv4" in b else []
        r["ipv6_cidr_blocks"] = [b["cidr_ipv6"]] if "cidr_ipv6" in b else []
        r["protocol"] = b.get("ip_protocol")
        out.append((g.group(1) if g else name, r, f))
    return out


def check_world_ingress(mods, raw):
    fails = []
    allowed = {"edge": {80, 443}, "node": {P2P_PORT}}
    private_ports = {22, 5432, 8405, 9100, 9464, 9465, 9615, 9944}
    sg_count = 0
    for d, m in sorted(mods.items()):
        for group, r, f in ingress_rules(m):
            sg_count += 1
            lo, hi = m.var_default(r.get("from_port")), m.var_default(r.get("to_port"))
            where = f"{f}: {group} ingress {r.get('description', '')!r} ({lo}-{hi})"
            if not isinstance(lo, int) or not isinstance(hi, int):
                fails.append(f"{where}: ports not known statically")
                continue
            if lo <= 22 <= hi or (r.get("protocol") == "-1"):
                fails.append(f"{where}: SSH or all ports reachable (shell access is SSM)")
            if any(lo <= p <= hi for p in (9944,)) and (r.get("cidr_blocks") or r.get("ipv6_cidr_blocks")):
                fails.append(f"{where}: node RPC open to an address range, not to the edge group only")
            world = False
            for key in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"):
                v = r.get(key)
                if v is None or v == []:
                    continue
                if isinstance(v, list) and all(isinstance(c, str) and not c.startswith("${") for c in v):
                    world |= any(c in WORLD for c in v)
                elif not cidr_vars_safe(m, v if isinstance(v, str) else json.dumps(v)):
                    fails.append(f"{where}: {key} {v!r} may reach the world (no validation keeps it private)")
            if world:
                ok = allowed.get(group, set())
                if lo != hi or lo not in ok or r.get("protocol") not in ("tcp", "6"):
                    fails.append(f"{where}: open to the world; only {sorted(ok) or 'nothing'} may be in {group}")
                if lo in private_ports:
                    fails.append(f"{where}: a private port (SSH, RPC, metrics, PostgreSQL) open to the world")
        for rtype in ("aws_instance", "aws_launch_template"):
            for name, b, f in m.res(rtype):
                if b.get("key_name"):
                    fails.append(f"{f}: {rtype}.{name} has an SSH key pair; shell access is SSM")
        for name, b, f in m.res("aws_db_instance"):
            if b.get("publicly_accessible") is not False:
                fails.append(f"{f}: aws_db_instance.{name} not explicitly private")
    p2p = mods.get("modules/region", Module("")).variables.get("p2p_port", {}).get("default")
    if p2p != P2P_PORT:
        fails.append(f"modules/region: p2p_port defaults to {p2p}, not {P2P_PORT}")
    if sg_count == 0:
        fails.append("no ingress rule at all")
    return fails


def check_secrets(mods, raw):
    fails = []
    for d, m in sorted(mods.items()):
        for name, v in m.variables.items():
            if SECRET_NAME.search(name):
                if "default" in v:
                    fails.append(f"{d}: variable {name} looks secret and has a default")
                if v.get("sensitive") is not True:
                    fails.append(f"{d}: variable {name} looks secret and is not sensitive")
        for name, b, f in m.providers:
            for k in b:
                if SECRET_NAME.search(k) or k in ("email",):
                    fails.append(f"{f}: provider {name} sets {k}; credentials come from the environment")
    for rel, text in raw.items():
        if rel.endswith(".md"):
            continue
        for rx, what in LITERAL_CREDENTIALS:
            for mm in rx.finditer(text):
                fails.append(f"{rel}: {what}: {mm.group(0)[:40]}")
    return fails


def check_rds(mods, raw):
    fails = []
    n = 0
    for d, m in sorted(mods.items()):
        for name, b, f in m.res("aws_db_instance"):
            n += 1
            for k in ("multi_az", "storage_encrypted", "deletion_protection"):
                if b.get(k) is not True:
                    fails.append(f"{f}: aws_db_instance.{name} {k} = {b.get(k)!r}, want true")
            pw = b.get("password")
            if b.get("manage_master_user_password") is not True:
                mm = re.fullmatch(r"\$\{var\.(\w+)\}", pw or "")
                v = m.variables.get(mm.group(1), {}) if mm else {}
                if not mm or "default" in v or v.get("sensitive") is not True:
                    fails.append(f"{f}: aws_db_instance.{name}: password neither managed by RDS "
                                 "nor a sensitive variable without default")
    if n == 0:
        fails.append("no aws_db_instance")
    return fails


def check_docs(mods, raw):
    """Every variable is named in terraform/README.md (as `name`), and so are the outputs."""
    readme = raw.get("README.md")
    if readme is None:
        return ["README.md: missing"]
    fails = []
    for d, m in sorted(mods.items()):
        for name in m.variables:
            if f"`{name}`" not in readme:
                fails.append(f"README.md: variable {name} ({d}) is not documented")
    for rel, text in raw.items():
        if rel.startswith("live/") and rel.endswith("outputs.tf"):
            for name in re.findall(r'^output "(\w+)"', text, re.M):
                if f"`{name}`" not in readme:
                    fails.append(f"README.md: output {name} ({rel}) is not documented")
    return fails


CHECKS = [
    ("roots", check_roots),
    ("max_size", check_max_size),
    ("requester_pays", check_requester_pays),
    ("cloudfront", check_cloudfront),
    ("alarms", check_alarms),
    ("world_ingress", check_world_ingress),
    ("secrets", check_secrets),
    ("rds", check_rds),
    ("docs", check_docs),
]

# One broken copy per row: (file under terraform/, text that must occur exactly once, its
# replacement, the check that must then fail).
MUTATIONS = [
    ("modules/region/rds.tf", "  tags                        = local.tags\n}", "  tags = local.tags\n", "parse"),
    ("live/us-east-1/variables.tf", 'default     = "us-east-1"', 'default     = "eu-central-1"', "roots"),
    ("live/us-east-1/versions.tf", 'version = "~> 5.60"', 'version = ">= 5.0"', "roots"),
    ("live/global/versions.tf", 'backend "s3" {}', 'backend "s3" {\n    bucket = "x"\n  }', "roots"),
    ("modules/region/variables.tf", "var.az_count >= 2 &&", "var.az_count >= 2 && var.edge_count > 0 &&", "roots"),
    ("live/eu-central-1/variables.tf", "desired_size = 3, max_size = 6", "desired_size = 3, max_size = 7",
     "max_size"),
    ("modules/region/variables.tf", "c.max_size <= 6", "c.max_size <= 60", "max_size"),
    ("modules/region/nodes.tf", "max_size            = each.value.max_size", "max_size            = 10",
     "max_size"),
    ("modules/storage/buckets.tf", 'payer  = "Requester"', 'payer  = "BucketOwner"', "requester_pays"),
    ("modules/storage/cdn.tf", 'snap["compressed"].bucket_regional_domain_name',
     'snap["uncompressed"].bucket_regional_domain_name', "cloudfront"),
    ("modules/storage/cdn.tf", "    origin_access_control_id = aws_cloudfront_origin_access_control.compressed.id\n",
     "", "cloudfront"),
    ("modules/storage/cdn.tf", 'identifiers = ["cloudfront.amazonaws.com"]', 'identifiers = ["*"]', "cloudfront"),
    ("modules/storage/cdn.tf", 'variable = "AWS:SourceArn"', 'variable = "aws:SourceAccount"', "cloudfront"),
    ("modules/storage/buckets.tf", "  block_public_policy     = true\n", "  block_public_policy     = false\n",
     "cloudfront"),
    ("modules/storage/buckets.tf", "tb = 1099511627776", "tb = 1000000000", "alarms"),
    ("modules/storage/alarms.tf", '    Region         = "Global"\n', "", "alarms"),
    ("modules/storage/alarms.tf", "  filter {\n    prefix = var.object_prefix\n  }\n", "", "alarms"),
    ("modules/storage/alarms.tf", '  namespace           = "AWS/S3"\n', '  namespace           = "AWS/EC2"\n',
     "alarms"),
    ("live/global/versions.tf", 'region = "us-east-1"', 'region = "eu-central-1"', "alarms"),
    ("modules/storage/variables.tf", "default     = [1, 5, 10]", "default     = [5, 10]", "alarms"),
    ("modules/region/security.tf", "from_port   = 8405\n    to_port     = 8405\n    protocol    = \"tcp\"\n"
     "    cidr_blocks = local.metrics_cidrs",
     "from_port   = 8405\n    to_port     = 8405\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]",
     "world_ingress"),
    ("modules/region/security.tf", "    security_groups = [aws_security_group.edge.id]\n  }\n\n  ingress {\n"
     "    description = \"node Prometheus endpoint\"",
     "    ipv6_cidr_blocks = [\"::/0\"]\n  }\n\n  ingress {\n    description = \"node Prometheus endpoint\"",
     "world_ingress"),
    ("modules/region/security.tf", "from_port   = 443\n    to_port     = 443",
     "from_port   = 443\n    to_port     = 9999", "world_ingress"),
    ("modules/region/variables.tf", "default     = 30333", "default     = 9944", "world_ingress"),
    ("modules/region/variables.tf", '!contains(var.metrics_cidrs, "0.0.0.0/0") && ', "", "world_ingress"),
    ("modules/region/edge.tf", "  monitoring             = true\n",
     "  monitoring             = true\n  key_name               = \"ops\"\n", "world_ingress"),
    ("modules/region/security.tf", "    description = \"HTTPS and WSS\"\n    from_port   = 443\n    to_port     = 443",
     "    description = \"HTTPS and WSS\"\n    from_port   = 22\n    to_port     = 22", "world_ingress"),
    ("live/global/variables.tf", 'variable "domain" {',
     'variable "db_password" {\n  type    = string\n  default = "changeme"\n}\n\nvariable "domain" {',
     "secrets"),
    ("live/global/versions.tf", 'provider "cloudflare" {}',
     'provider "cloudflare" {\n  api_token = var.cf\n}', "secrets"),
    ("modules/region/rds.tf", '  identifier                  = "${var.name}-ctl"\n',
     '  identifier                  = "${var.name}-ctl"\n  # AKIAABCDEFGHIJKLMNOP\n', "secrets"),
    ("README.md", "`abort_multipart_days`", "`abort_multipart`", "docs"),
    ("live/global/outputs.tf", 'output "cdn_domain"', 'output "cdn_hostname"', "docs"),
    ("modules/region/rds.tf", "multi_az                    = true", "multi_az                    = false", "rds"),
    ("modules/region/rds.tf", "storage_encrypted           = true", "storage_encrypted           = false", "rds"),
    ("modules/region/rds.tf", "manage_master_user_password = true", 'password                    = "hunter2hunter2"',
     "rds"),
]


def parse_trees(trees):
    node_path = os.environ.get("NODE_PATH", "")
    proc = subprocess.run(["node", os.path.join(HERE, "hcl2json.js")] + trees, capture_output=True, text=True,
                          env=dict(os.environ, NODE_PATH=node_path), timeout=120)
    if proc.returncode != 0:
        sys.exit(f"terraform-check: hcl2json.js failed (NODE_PATH={node_path}; run make deps-test): "
                 f"{proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout)


def raw_texts(tree):
    out = {}
    for dirpath, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d != ".terraform"]
        for f in files:
            if f.endswith((".tf", ".hcl", ".example", ".tfvars", ".md")):
                p = os.path.join(dirpath, f)
                with open(p, encoding="utf-8") as fh:
                    out[os.path.relpath(p, tree)] = fh.read()
    return out


def run_checks(parsed, raw):
    mods, errors = load_tree(parsed)
    results = {"parse": errors}
    if len(parsed) == 0:
        results["parse"].append("no .tf file")
    for name, fn in CHECKS:
        try:
            results[name] = fn(mods, raw)
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            results[name] = [f"check crashed on an unexpected shape: {e!r}"]
    return results


def main():
    t0 = time.monotonic()
    tree = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "terraform"))
    raw = raw_texts(tree)
    tmp = tempfile.mkdtemp(prefix="tfcheck.")
    try:
        # A broken copy differs from the tree in one file: only that file is written and
        # parsed again, and takes the original's place in the parsed tree and the texts.
        broken = []
        for i, (rel, old, new, check) in enumerate(MUTATIONS):
            text = raw.get(rel)
            if text is None or text.count(old) != 1:
                sys.exit(f"terraform-check: mutation {i} ({check}): {rel} holds "
                         f"{0 if text is None else text.count(old)} copies of {old!r}, want exactly 1: "
                         f"update MUTATIONS in {__file__}")
            dst = os.path.join(tmp, f"{i}.{os.path.basename(rel)}")
            with open(dst, "w", encoding="utf-8") as fh:
                fh.write(text.replace(old, new))
            broken.append(dst)
        parsed = parse_trees([tree] + [b for b, (rel, *_) in zip(broken, MUTATIONS) if rel.endswith(".tf")])

        failed = False
        results = run_checks(parsed[tree], raw)
        for name in ["parse"] + [n for n, _ in CHECKS]:
            for msg in results[name]:
                print(f"terraform-check: {name}: {msg}")
                failed = True
        # Each check must go red on its broken copies.
        for i, (rel, old, new, check) in enumerate(MUTATIONS):
            p_copy = dict(parsed[tree])
            if rel.endswith(".tf"):
                p_copy[rel] = parsed[broken[i]]
            r_copy = dict(raw)
            r_copy[rel] = raw[rel].replace(old, new)
            r = run_checks(p_copy, r_copy)
            if not r[check]:
                print(f"terraform-check: mutation {i} ({rel}: {old.strip()[:50]!r} -> {new.strip()[:50]!r}) "
                      f"did not fail check {check}")
                failed = True
            elif os.environ.get("PF_VERBOSE"):
                print(f"mutation {i} -> {check}: {r[check][0]}")
        red = {c for *_, c in MUTATIONS}
        for name in ["parse"] + [n for n, _ in CHECKS]:
            if name not in red:
                print(f"terraform-check: no mutation shows that check {name} can fail")
                failed = True
        fmt = "terraform fmt: no terraform binary, skipped"
        if shutil.which("terraform"):
            proc = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-list=true", tree],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                print(f"terraform-check: terraform fmt would change: {proc.stdout.split()} {proc.stderr.strip()[:300]}")
                failed = True
            fmt = "terraform fmt -check clean"
        if failed:
            sys.exit(1)
        print(f"terraform-check: {fmt}")
        print(f"terraform-check: {len(parsed[tree])} files parsed, {len(CHECKS) + 1} checks passed; "
              f"{len(MUTATIONS)} broken copies each failed its check ({time.monotonic() - t0:.1f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
