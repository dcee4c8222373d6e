#!/usr/bin/env python3
"""Measures fenliu on the real Haikou 12345 work orders (shared/data): how
often a proposed hand-off names the same kind of unit the order was really
sent to, and how often fenliu sends to the police side (emergency/police)
what the hotline sent there. Reads the data at run time; copies nothing.

    python3 scripts/measure_haikou.py [../shared/data/haikou-12345-2018.jsonl]
"""
import collections, json, os, subprocess, sys, tempfile

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../shared/data/haikou-12345-2018.jsonl")
binary = os.path.join(os.path.dirname(__file__), "../target/release/fenliu")

# Kinds of unit, by the words their names carry. Order matters: the first
# kind that matches wins for a real unit; a hand-off may name several.
KINDS = [
    ("police", ["公安", "派出所", "交警", "交通警察", "消防", "车管", "出入境", "户籍", "督察", "110", "119", "122", "犬类管理"]),
    ("medical-line", ["120", "急救"]),
    ("court-discipline-petition", ["法院", "纪委", "监委", "信访", "检察", "仲裁"]),
    ("labour", ["人社", "人力资源", "劳动", "社保", "社会保险"]),
    ("market", ["市场监督", "市场监管", "工商", "质监", "物价", "食药", "12315"]),
    ("education", ["教育"]),
    ("health", ["卫生", "卫健", "医保", "医疗保障"]),
    ("environment", ["生态环境", "环保", "环境保护"]),
    ("transport", ["交通运输", "运输", "公交", "出租", "客运", "港航", "交通局"]),
    ("housing", ["住建", "住房", "房管", "物业", "房屋", "建设局", "征收", "规划"]),
    ("urban-management", ["城管", "城市管理", "综合执法", "综合行政执法"]),
    ("municipal", ["市政", "路灯", "环卫", "环境卫生", "园林", "绿化"]),
    ("utility", ["供水", "供电", "电力", "电网", "燃气", "水务", "自来水", "热力", "水司"]),
    ("civil-affairs", ["民政"]),
    ("justice", ["司法", "法律援助", "12348", "调解"]),
    ("land", ["国土", "自然资源"]),
    ("agriculture", ["农业", "农林", "畜牧", "动物防疫"]),
    ("tax-finance", ["税务", "财政", "金融"]),
    ("tourism-culture", ["旅游", "文旅", "文体", "文化"]),
    ("telecom-post", ["通信", "电信", "移动", "联通", "邮政"]),
]

def kinds(name):
    return [k for k, words in KINDS if any(w in (name or "") for w in words)]

orders = [json.loads(l) for l in open(data, encoding="utf-8") if l.strip()]
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
    for o in orders:
        f.write(json.dumps({"id": o["id"], "text": o["text"]}, ensure_ascii=False) + "\n")
    tmp = f.name
out = subprocess.run([binary, "classify", "--input", tmp], capture_output=True, text=True, check=True).stdout
os.unlink(tmp)
decisions = {d["id"]: d for d in map(json.loads, out.splitlines())}

side = collections.Counter()
same = total = unmapped = 0
by_kind = collections.Counter(); by_kind_ok = collections.Counter()
routes = collections.Counter()
for o in orders:
    d = decisions[o["id"]]
    routes[d["route"]] += 1
    ours = "police" if d["route"] in ("emergency", "police") else "other"
    side[(o["side"], ours)] += 1
    real = kinds(o.get("unit"))
    if not real:
        unmapped += 1
        continue
    total += 1
    by_kind[real[0]] += 1
    if real[0] in kinds(d.get("handoff")):
        same += 1
        by_kind_ok[real[0]] += 1

n = len(orders)
agree = side[("police", "police")] + side[("other", "other")]
print(f"{n} work orders; routes: {dict(routes)}")
print(f"police side agreement: {agree}/{n} = {agree / n:.3f}")
for (real, ours), c in sorted(side.items()):
    print(f"  real {real:6} -> fenliu {ours:6}: {c}")
print(f"hand-off names the same kind of unit: {same}/{total} = {same / max(total, 1):.3f} "
      f"(orders whose unit is a district or town government, or unmapped: {unmapped})")
for k, c in by_kind.most_common():
    print(f"  {k:26} {by_kind_ok[k]:4}/{c:<4} = {by_kind_ok[k] / c:.2f}")
