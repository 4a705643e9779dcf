// Chinese by default, English on request; the choice is kept in localStorage.
const TEXT = {
  zh: {
    title: '网格化管理地图', signin: '登录', name: '用户名', password: '密码', logout: '退出',
    bad_login: '用户名或密码错误', too_many: '登录失败次数过多，请稍后再试',
    petitions: '诉求事件', status: '状态', category: '类别', kind: '类型', all: '全部', overdue: '超期',
    reported: '已上报', dispatched: '已派遣', in_progress: '处理中', pending_review: '待审核', closed: '已办结',
    registered: '已立案', rejected: '不予立案', verified: '核查通过', suspended: '已挂起', withdrawn: '已撤回',
    register: '立案', reject: '不予立案', verify: '核查通过', finish: '结案', suspend: '挂起',
    appeal: '群众诉求', incident: '巡查事件', details: '详情', history: '处理记录', nearest: '附近在岗网格员',
    dispatch: '派遣', accept: '接单', submit: '提交审核', close: '审核通过办结', rework: '返工', escalate: '上报',
    resolve_on_site: '当场处理', grid: '网格', worker: '网格员', where_am_i: '我在哪里', tap_hint: '点击地图定位',
    report_here: '在此上报', description: '描述', households: '本网格住户', visit: '走访', off_site_reason: '不在现场的原因', worklog: '今日工作日志',
    save: '保存', kpi: '考核指标', completion: '办结率', on_time: '按时率', total: '总量', hotspots: '热点分析', heatmap: '诉求热力图', months: '个月',
    level: '层级', subdistrict: '街道', community: '社区', from: '起', to: '止', coverage: '覆盖检查', none: '无',
    saved: '已保存', created: '已上报', note: '备注', meters: '米',
    department: '职能部门', dispatch_department: '派遣至部门', duplicates: '疑似重复', merge_into: '合并到', merged_into: '已合并到',
    environment: '环境卫生', facilities: '市政设施', neighbour: '邻里纠纷', safety: '安全隐患', traffic: '交通出行',
    property: '物业管理', welfare: '民生救助', noise: '噪声扰民', other: '其他',
  },
  en: {
    title: 'Grid management map', signin: 'Sign in', name: 'Name', password: 'Password', logout: 'Sign out',
    bad_login: 'Wrong name or password', too_many: 'Too many failed sign-ins, try again later',
    petitions: 'Petitions', status: 'Status', category: 'Category', kind: 'Kind', all: 'All', overdue: 'Overdue',
    reported: 'Reported', dispatched: 'Dispatched', in_progress: 'In progress', pending_review: 'Pending review', closed: 'Closed',
    registered: 'Registered', rejected: 'Rejected', verified: 'Verified', suspended: 'Suspended', withdrawn: 'Withdrawn',
    register: 'Register', reject: 'Reject', verify: 'Verify', finish: 'Close', suspend: 'Suspend',
    appeal: 'Appeal', incident: 'Incident', details: 'Details', history: 'History', nearest: 'Nearest on-duty workers',
    dispatch: 'Dispatch', accept: 'Accept', submit: 'Submit for review', close: 'Approve and close', rework: 'Rework', escalate: 'Escalate',
    resolve_on_site: 'Resolved on site', grid: 'Grid', worker: 'Worker', where_am_i: 'Where am I', tap_hint: 'Tap the map to locate',
    report_here: 'Report here', description: 'Description', households: 'Households of my grid', visit: 'Visit', off_site_reason: 'Why not on site', worklog: "Today's work log",
    save: 'Save', kpi: 'KPIs', completion: 'Completion', on_time: 'On time', total: 'Total', hotspots: 'Hotspots', heatmap: 'Petition heatmap', months: 'months',
    level: 'Level', subdistrict: 'Subdistrict', community: 'Community', from: 'From', to: 'To', coverage: 'Coverage QA', none: 'None',
    saved: 'Saved', created: 'Reported', note: 'Note', meters: 'm',
    department: 'Department', dispatch_department: 'Dispatch to department', duplicates: 'Possible duplicates', merge_into: 'Merge into', merged_into: 'Merged into',
    environment: 'Environment', facilities: 'Facilities', neighbour: 'Neighbours', safety: 'Safety', traffic: 'Traffic',
    property: 'Property', welfare: 'Welfare', noise: 'Noise', other: 'Other',
  },
};

let lang = localStorage.getItem('gridmap.lang') || 'zh';

export function t(key) { return (TEXT[lang] && TEXT[lang][key]) || key; }
export function currentLang() { return lang; }

export function applyTexts(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  const button = document.getElementById('lang');
  if (button) button.textContent = lang === 'zh' ? 'EN' : '中文';
}

export function toggleLang() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('gridmap.lang', lang);
}
