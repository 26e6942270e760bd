"""Wording of the demo's review and inspection records (categories of domain.md §4.0, text in the style of
seed 001_972f77461c46c029.txt; copied here because the project never reads the seeds at run time)."""

from __future__ import annotations

# 案卷评查 criteria: (category, severity, description)
CASE_FILE_PROBLEMS = (
    ("facts_unclear", "general", "违法事实认定不清,违法行为发生的时间、地点记载不明确"),
    ("evidence_insufficient", "general", "现场检查笔录无当事人签字或见证人签字"),
    ("law_misapplied", "general", "处罚决定书引用法律条款不具体,未列明款、项"),
    ("procedure_illegal", "serious", "未依法履行行政处罚事先告知程序"),
    ("document_nonstandard", "minor", "执法文书编号不规范,文号缺失或重复"),
    ("archiving", "minor", "卷内文件排列顺序混乱,缺少卷内目录"),
    ("discretion_benchmark", "general", "未说明行使行政裁量权的理由及适用的裁量基准"),
    ("three_systems_recording", "general", "现场执法未进行全过程音像记录"),
    ("evidence_insufficient", "minor", "照片证据未注明拍摄时间、地点及拍摄人"),
    ("procedure_illegal", "general", "送达回证缺少受送达人签收,送达程序不规范"),
    ("three_systems_publicity", "minor", "行政处罚决定未按规定在7个工作日内公示"),
    ("certification", "general", "询问笔录未记载执法人员执法证件号码"),
    ("facts_unclear", "serious", "当事人主体资格认定错误,未核实营业执照登记信息"),
    ("document_nonstandard", "general", "处罚决定书未告知申请行政复议、提起行政诉讼的途径和期限"),
    ("archiving", "minor", "案卷备考表未填写"),
    ("evidence_insufficient", "serious", "认定违法所得的证据不足,未附计算依据"),
    ("procedure_illegal", "general", "立案审批时间晚于调查取证时间"),
    ("three_systems_legal_review", "serious", "重大执法决定未经法制审核即作出"),
    ("document_nonstandard", "minor", "文书涂改处未经当事人捺印确认"),
    ("law_misapplied", "serious", "处罚依据引用错误,适用已修改前的条款"),
    ("archiving", "minor", "结案后未按期立卷归档"),
    ("procedure_illegal", "serious", "应当告知听证权利而未告知"),
    ("evidence_insufficient", "general", "证据复印件未注明出处、未经核对"),
    ("certification", "serious", "文书署名人员未取得行政执法证件"),
)
SEVERITY_POINTS = {"minor": 1.5, "general": 3.0, "serious": 5.0}

# 行政执法突出问题 (自查自纠, Q7): (category, severity, description)
SELF_REPORTED = (
    ("campaign_style", "general", "集中整治期间突击执法,日常监管缺位,存在运动式执法倾向"),
    ("one_size_fits_all", "serious", "对沿街经营户统一限期关停,未区分情形,存在“一刀切”现象"),
    ("rough", "general", "执法过程中语言生硬、态度粗暴,群众投诉较多"),
    ("violent", "serious", "个别执法人员强行扣押当事人物品,存在野蛮执法苗头"),
    ("excessive", "general", "对轻微违法行为顶格处罚,过罚不相当"),
    ("mechanical", "general", "机械套用处罚条款,未适用首违不罚、轻微不罚规定"),
    ("profit_driven", "serious", "罚没收入与执法考核挂钩,存在逐利执法倾向"),
    ("inaction", "general", "对群众多次反映的违法行为未及时查处"),
    ("arbitrary_action", "serious", "超越法定职权实施检查"),
    ("inadequate_performance", "general", "执法检查记录流于形式,履职不到位"),
    ("weak_regulation", "general", "对重点监管对象检查频次不足,监管不力"),
    ("incomplete_rules", "minor", "行政裁量权基准适用制度尚未以规范性文件形式制定公布"),
    ("lax_team_management", "general", "辅助执法人员单独执法,队伍管理不严"),
    ("low_competence", "minor", "部分执法人员法律知识不足,文书制作能力弱"),
    ("three_systems_publicity", "minor", "行政执法公示信息更新不及时"),
    ("three_systems_legal_review", "general", "法制审核人员配备不足,审核流于形式"),
    ("discretion_benchmark", "general", "未按裁量基准细化量罚标准,同案不同罚"),
)

# 文号 prefixes of the units' own enforcement decisions (case_ref of sampled files)
CASE_REF_PREFIX = {
    "A01": "汉市监罚", "A02": "汉城管罚", "A03": "汉交执罚", "A04": "汉环罚", "A05": "汉自然资罚", "A06": "汉卫健罚",
    "A07": "汉应急罚", "A08": "汉农罚", "A09": "汉文旅罚", "A10": "汉人社监罚", "A11": "汉公行罚", "A12": "汉建罚",
    "A13": "汉水罚", "A14": "汉审罚", "A15": "汉教罚", "A16": "汉民罚", "A17": "汉医保罚", "A18": "汉林罚",
}
ENFORCEMENT_TYPES = ("penalty", "penalty", "license", "penalty", "compulsion", "inspection")

REVIEW_SUGGESTION = ("针对评查发现的问题,逐卷查找原因,完善案件审核和文书制作规范,组织办案人员专题培训,"
                     "自送达之日起30日内书面报告整改情况。")
WORK_TIP = ("你单位“一规划两方案”贯彻落实自查不到位,请对照督察要求迅速整改,补齐工作台账,"
            "于15个工作日内书面报告整改情况。")
INSPECTION_FEEDBACK = ("针对督察发现的履行推进法治建设第一责任人职责、普法责任制落实、行政执法规范化等方面问题,"
                       "制定整改方案,30日内书面报告整改情况。")
MEASURES = ("逐项建立整改台账,明确责任人和完成时限;修订本单位执法文书范本和案件审核制度;组织执法人员专题培训。",
            "召开专题会议研究整改,完善内部监督制度,对相关责任人员进行批评教育,整改情况纳入年度考核。",
            "对照问题清单逐条整改,补充完善相关材料,建立长效机制并报市司法局备案。")
