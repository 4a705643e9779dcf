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
    queue: '待办队列', open_cases: '待办', search: '搜索', search_hint: '案件号、描述、网格编码', area: '区域', period: '时段',
    supervised: '督办', due_today: '今日到期', new_case: '新案件', deadline: '处置时限', reported_at: '上报时间', handler: '承办',
    case_no: '案件号', no_cases: '没有符合条件的案件', showing: '显示', of: '/', more_cases: '仅显示前', live: '实时', offline: '连接中断',
    sound: '提示音', legend: '图例', layers: '图层', grids_layer: '网格', workers_layer: '网格员位置', households_layer: '住户',
    on_duty: '在岗', off_duty: '离岗', cluster: '聚合（件数）', cluster_overdue: '聚合·含超期', selected: '选中案件',
    subdistrict_line: '街道界', community_line: '社区界', grid_line: '网格界', other_status: '其他状态',
    close_panel: '关闭', photos: '照片', load: '在办', dispatch_to: '派遣给', reassign_to: '改派给', distance: '距离',
    withdraw: '撤回', resume: '恢复', supervise: '督办', approve_extension: '批准延期', refuse_extension: '驳回延期',
    extension_requested: '申请延期至', note_needed: '此操作需要填写备注', note_placeholder: '备注（不予立案、挂起、督办等须填写）',
    you_submitted: '由您提交或处理，须由其他调度员审核', level_grid: '网格', level_community: '社区', level_subdistrict: '街道', level_department: '部门',
    hours: '小时', days: '天', overdue_by: '超期', due_in: '剩余', stage_report: '上报', stage_before: '处置前', stage_progress: '处置中', stage_after: '处置后',
    unmerge: '撤销合并', updated: '已更新', event_new_case: '新案件', event_dispatched: '已派遣', event_escalated: '已上报上级', event_reopened: '返工',
    event_deadline_soon: '即将到期', event_overdue: '已超期', reload_case: '案件已被他人修改，已重新载入', kind_all: '全部类型', category_all: '全部类别', area_all: '全部区域',
    final_window: '最近', closed_at: '办结时间', open_only: '仅待办', reassign: '改派', merge: '合并', request_extension: '申请延期', unmerge_done: '撤销合并',
    planner_title: '规划分析看板', period_kind: '统计周期', period_month: '按月', period_quarter: '按季度', period_year: '按年', period_custom: '自定义', period_all: '全部时间',
    whole_area: '全区', breadcrumb: '下钻路径', drill: '下钻', drill_into: '下钻到',
    kpi_total: '上报量', kpi_due: '应结案', kpi_completion: '结案率', kpi_on_time: '按期结案率', kpi_rework: '返工率', kpi_extension: '延期率',
    kpi_satisfaction: '满意率', kpi_overdue: '当前超期', kpi_hours: '平均办结工时', export: '导出', export_xlsx: 'Excel (XLSX)', export_csv: 'CSV',
    trend: '月度趋势', ranking: '排名', charts: '图表', rank_by: '排名指标', rank_order: '顺序', rank_top: '最高', rank_bottom: '最低',
    rows_count: '行', no_rows: '该时段无数据', heat_window: '热力时段', play: '播放', pause: '暂停', window_end: '截止月份', window_span: '时长',
    heat_low: '少', heat_high: '多', hot_99: '热点 99%', hot_95: '热点 95%', hot_90: '热点 90%', cold_90: '冷点 90%', cold_95: '冷点 95%', cold_99: '冷点 99%',
    findings_layer: '覆盖检查问题', findings_count: '处缺口或重叠', coverage_clean: '网格无缺口、无重叠', visits_layer: '住户走访覆盖（近30天）', highlight_layer: '选中区域',
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
    queue: 'Work queue', open_cases: 'Open', search: 'Search', search_hint: 'Case no., description, grid code', area: 'Area', period: 'Period',
    supervised: 'Supervised', due_today: 'Due today', new_case: 'New', deadline: 'Deadline', reported_at: 'Reported', handler: 'Handler',
    case_no: 'Case', no_cases: 'No case matches', showing: 'Showing', of: '/', more_cases: 'Only the first', live: 'Live', offline: 'Disconnected',
    sound: 'Sound', legend: 'Legend', layers: 'Layers', grids_layer: 'Grids', workers_layer: 'Workers (live)', households_layer: 'Households',
    on_duty: 'On duty', off_duty: 'Off duty', cluster: 'Cluster (cases)', cluster_overdue: 'Cluster, overdue', selected: 'Selected case',
    subdistrict_line: 'Subdistrict boundary', community_line: 'Community boundary', grid_line: 'Grid boundary', other_status: 'Other states',
    close_panel: 'Close', photos: 'Photos', load: 'open cases', dispatch_to: 'Dispatch to', reassign_to: 'Reassign to', distance: 'Distance',
    withdraw: 'Withdraw', resume: 'Resume', supervise: 'Supervise', approve_extension: 'Approve extension', refuse_extension: 'Refuse extension',
    extension_requested: 'Extension requested until', note_needed: 'This action needs a note', note_placeholder: 'Note (needed to reject, suspend, supervise...)',
    you_submitted: 'You handled or submitted it: another dispatcher reviews it', level_grid: 'Grid', level_community: 'Community', level_subdistrict: 'Subdistrict', level_department: 'Department',
    hours: 'h', days: 'd', overdue_by: 'Overdue by', due_in: 'Due in', stage_report: 'Report', stage_before: 'Before', stage_progress: 'Progress', stage_after: 'After',
    unmerge: 'Unmerge', updated: 'Updated', event_new_case: 'New case', event_dispatched: 'Dispatched', event_escalated: 'Escalated', event_reopened: 'Reopened',
    event_deadline_soon: 'Deadline soon', event_overdue: 'Overdue', reload_case: 'The case was changed by someone else and has been reloaded', kind_all: 'All kinds', category_all: 'All categories', area_all: 'All areas',
    final_window: 'last', closed_at: 'Closed at', open_only: 'Open only', reassign: 'Reassigned', merge: 'Merged', request_extension: 'Extension requested', unmerge_done: 'Unmerged',
    planner_title: 'Planner dashboard', period_kind: 'Period type', period_month: 'Month', period_quarter: 'Quarter', period_year: 'Year', period_custom: 'Custom', period_all: 'All time',
    whole_area: 'Whole area', breadcrumb: 'Drill-down path', drill: 'Drill down', drill_into: 'Drill down into',
    kpi_total: 'Volume', kpi_due: 'Due', kpi_completion: 'Closure rate', kpi_on_time: 'On-time closure', kpi_rework: 'Rework rate', kpi_extension: 'Extension rate',
    kpi_satisfaction: 'Satisfaction', kpi_overdue: 'Overdue now', kpi_hours: 'Mean hours to close', export: 'Export', export_xlsx: 'Excel (XLSX)', export_csv: 'CSV',
    trend: 'Monthly trend', ranking: 'Ranking', charts: 'Charts', rank_by: 'Rank by', rank_order: 'Order', rank_top: 'Top', rank_bottom: 'Bottom',
    rows_count: 'rows', no_rows: 'No data for this period', heat_window: 'Heat window', play: 'Play', pause: 'Pause', window_end: 'Window end month', window_span: 'Length',
    heat_low: 'Few', heat_high: 'Many', hot_99: 'Hotspot 99%', hot_95: 'Hotspot 95%', hot_90: 'Hotspot 90%', cold_90: 'Cold spot 90%', cold_95: 'Cold spot 95%', cold_99: 'Cold spot 99%',
    findings_layer: 'Coverage findings', findings_count: 'gaps or overlaps', coverage_clean: 'No gap, no overlap between grids', visits_layer: 'Household visits (30 days)', highlight_layer: 'Selected area',
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
