#!/usr/bin/env python3
"""Makes the sample sheets that build the demo town 瞻岐镇 under 鄞州区总工会
(code ZJ-NB-YZ) the way a town union starts: its union tree, its enterprises,
its roster. Written with openpyxl as union staff lay them out (a merged title
row, a 序号 column, children listed before their parents). Run once; the
outputs are committed:

    python3 -m venv /tmp/xl && /tmp/xl/bin/pip install openpyxl
    /tmp/xl/bin/python demo/town/make_sheets.py

Then, on a demo database:

    gongjiang import orgs demo/town/1-组织架构.xlsx --org ZJ-NB-YZ
    gongjiang import enterprises demo/town/2-企业名录.xlsx --org ZQ
    gongjiang import members demo/town/3-会员名册.xlsx --org ZQ
"""
import os
from openpyxl import Workbook
from openpyxl.styles import Font

HERE = os.path.dirname(os.path.abspath(__file__))
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W18 = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
W_ID = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def credit_code(area, body8):
    """GB 32100 with the GB 11714 organisation-code check inside it."""
    w = [3, 7, 9, 10, 5, 8, 4, 2]
    v = lambda c: int(c) if c.isdigit() else ord(c) - ord("A") + 10
    oc = 11 - sum(v(c) * x for c, x in zip(body8, w)) % 11
    oc = {10: "X", 11: "0"}.get(oc, str(oc))
    first17 = "91" + area + body8 + oc
    check = (31 - sum(CHARSET.index(c) * x for c, x in zip(first17, W18)) % 31) % 31
    return first17 + CHARSET[check]


def id_number(birth, seq):
    body = f"330212{birth}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W_ID)) % 11]


def book(path, title, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for i, r in enumerate(rows, 1):
        ws.append([i] + r)
    for col in ws.columns:
        for c in col:
            c.number_format = "@"
    wb.save(os.path.join(HERE, path))


ORGS = [
    # name, code, parent, kind, leader, phone — villages listed before the town
    ["东城村联合工会", "ZQ-DC", "瞻岐镇总工会", "联合工会", "陈建国", "0574-88301001"],
    ["合岙村联合工会", "ZQ-HA", "ZQ", "联合工会", "周丽", "0574-88301002"],
    ["瞻岐镇总工会", "ZQ", "", "乡镇街道总工会", "李文华", "0574-88301000"],
    ["宁波瞻岐精工机械有限公司工会", "ZQ-JG", "ZQ-DC", "企业工会", "王海", ""],
    ["宁波合岙食品有限公司工会", "", "合岙村联合工会", "企业工会", "林芳", ""],
    ["宁波东海电子科技有限公司工会", "ZQ-DH", "ZQ", "企业工会", "", "13805741234"],
]
ENTERPRISES = [
    ["宁波瞻岐精工机械有限公司", credit_code("330212", "MA2JQ001"), "ZQ-JG", "通用设备制造业", "中型", "鄞州区瞻岐镇东城路8号", "王海", "13805740001"],
    ["宁波合岙食品有限公司", credit_code("330212", "MA2JQ002"), "宁波合岙食品有限公司工会", "食品制造业", "小型", "鄞州区瞻岐镇合岙村", "林芳", "13805740002"],
    ["宁波东海电子科技有限公司", credit_code("330212", "MA2JQ003"), "ZQ-DH", "计算机、通信和其他电子设备制造业", "中型", "鄞州区瞻岐镇滨海路18号", "张强", "13805740003"],
    ["瞻岐镇东城五金加工厂", credit_code("330212", "MA2JQ004"), "东城村联合工会", "金属制品业", "微型", "鄞州区瞻岐镇东城村", "陈建国", "13805740004"],
]
PEOPLE = [
    # name, birth, enterprise, union, occupation, skill level
    ["胡志强", "19850312", "宁波瞻岐精工机械有限公司", "宁波瞻岐精工机械有限公司工会", "钳工", "高级工"],
    ["郑晓燕", "19900521", "宁波瞻岐精工机械有限公司", "宁波瞻岐精工机械有限公司工会", "车工", "中级工"],
    ["孙立军", "19781108", "宁波瞻岐精工机械有限公司", "宁波瞻岐精工机械有限公司工会", "焊工", "技师"],
    ["吴佳佳", "19950215", "宁波合岙食品有限公司", "宁波合岙食品有限公司工会", "食品检验员", "初级工"],
    ["徐建平", "19820730", "宁波合岙食品有限公司", "宁波合岙食品有限公司工会", "中式面点师", "高级工"],
    ["马丽娟", "19880909", "宁波东海电子科技有限公司", "宁波东海电子科技有限公司工会", "电子装接工", "中级工"],
    ["朱海涛", "19761201", "宁波东海电子科技有限公司", "宁波东海电子科技有限公司工会", "电工", "高级技师"],
    ["何秀英", "19930616", "宁波东海电子科技有限公司", "宁波东海电子科技有限公司工会", "电子装接工", ""],
    ["高明", "19870404", "瞻岐镇东城五金加工厂", "东城村联合工会", "冲压工", "初级工"],
    ["罗春花", "19910827", "瞻岐镇东城五金加工厂", "东城村联合工会", "磨工", "中级工"],
]

book("1-组织架构.xlsx", "瞻岐镇工会组织架构表", ["序号", "工会名称", "组织代码", "上级工会", "组织类型", "工会主席", "联系电话"], ORGS)
book("2-企业名录.xlsx", "瞻岐镇企业名录", ["序号", "企业名称", "统一社会信用代码", "所属工会", "行业", "企业规模", "地址", "联系人", "联系电话"], ENTERPRISES)
book(
    "3-会员名册.xlsx",
    "瞻岐镇工会会员花名册",
    ["序号", "姓名", "身份证号码", "手机号码", "工作单位", "所属工会", "工种", "技能等级"],
    [[p[0], id_number(p[1], 11 + 2 * i), f"1390574{1000 + i:04d}", p[2], p[3], p[4], p[5]] for i, p in enumerate(PEOPLE)],
)
print("written to", HERE)
