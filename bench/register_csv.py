#!/usr/bin/env python3
"""bench/register_csv.py N MINLON MINLAT MAXLON MAXLAT SEED > register.csv

A register file (gridmap import register) of N rows, one household each with its head of
household: a standard address (road, number, building, unit, room; every row a distinct
room), a point in the box, a name, a valid ID number (GB 11643 check digit) and a phone.
"""
import random
import sys

n, x0, y0, x1, y1, seed = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
rng = random.Random(seed)
roads = [p + s for p in ("解放", "胜利", "建设", "人民", "和平", "中山", "新华", "友谊", "光明", "幸福")
         for s in ("路", "大街", "街", "大道", "巷")]
family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
given = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平"]
weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
out = sys.stdout
out.write("地址,经度,纬度,姓名,身份证号,联系电话,与户主关系\n")
rooms_per_building = 2 * 6 * 4  # units x floors x rooms
for i in range(n):
    b, r = divmod(i, rooms_per_building)
    road = roads[b % len(roads)]
    number = b // len(roads) % 2000 + 1
    building = b // (len(roads) * 2000) + 1
    unit, rest = divmod(r, 24)
    floor, room = divmod(rest, 4)
    addr = f"{road}{number}号{building}栋{unit + 1}单元{(floor + 1) * 100 + room + 1}室"
    lon = x0 + (x1 - x0) * rng.random()
    lat = y0 + (y1 - y0) * rng.random()
    # Region (6 digits) and sequence (3) from the row number: every ID number differs.
    first17 = f"4{i // 1000:05d}{1950 + rng.randrange(60)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{i % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]
    name = rng.choice(family) + rng.choice(given)
    out.write(f"{addr},{lon:.7f},{lat:.7f},{name},{first17}{check},13{rng.randrange(10**9):09d},户主\n")
