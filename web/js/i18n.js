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
    // the grid worker's phone app (worker.js)
    w_tasks: '任务', w_my_tasks: '我的任务', w_homes: '住户', w_log: '日志', w_outbox: '待发送', w_sections: '网格员功能',
    w_online: '在线', w_offline: '离线', w_patrol: '巡查', w_patrol_on: '开始巡查', w_patrol_off: '结束巡查', w_here: '当前位置',
    w_outside: '不在本人网格内', w_no_tasks: '暂无待办任务', w_new_task: '新任务', w_do_progress: '添加进展', w_do_submit: '提交审核',
    w_do_resolve: '当场处理', w_what_was_done: '处理情况（必填）', w_cancel: '取消', w_after_photo_needed: '此类别须上传处置后照片',
    w_progress_prefix: '处置进展', w_photos: '拍照/照片', w_photos_chosen: '张照片', w_search_homes: '搜索住户（地址、楼栋、单元、门牌）',
    w_search_homes_hint: '如：幸福街 2栋 303', w_building: '栋', w_unit: '单元', w_room: '室', w_residents: '居民（已脱敏）',
    w_visits: '走访记录', w_no_visits: '尚无走访记录', w_not_offline: '离线时不可用', w_record_visit: '记录走访', w_position: '位置',
    w_no_position: '未定位：点击地图或“我在哪里”记录位置', w_new_entry: '新增日志', w_log_empty: '今天还没有日志',
    w_queued: '已存入待发送，联网后自动上传', w_conflicts: '有待处理的冲突或失败', w_changed_meanwhile: '案件已被他人修改',
    w_retry: '重试', w_drop: '放弃', w_send_now: '立即发送', w_waiting: '待发送', w_outbox_empty: '没有待发送的内容',
    w_q_pending: '待发送', w_q_sending: '发送中', w_q_done: '已发送', w_q_conflict: '冲突', w_q_failed: '失败',
    w_offline_package: '离线数据包', w_refresh_package: '更新离线数据包', w_no_package: '尚未下载离线数据包',
    w_package_loading: '正在下载离线数据包…', w_package_of: '数据包生成于', w_households_n: '户', w_cases_n: '件任务', w_tiles: '地图',
    w_report: '上报', w_do_escalate: '上报上级', w_with: '已转', w_from_home: '距住户', w_need_reason: '不在现场（200 米外或未定位）须填写原因',
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
    // the grid worker's phone app (worker.js)
    w_tasks: 'Tasks', w_my_tasks: 'My tasks', w_homes: 'Households', w_log: 'Log', w_outbox: 'Outbox', w_sections: 'Grid worker sections',
    w_online: 'Online', w_offline: 'Offline', w_patrol: 'Patrol', w_patrol_on: 'Patrol started', w_patrol_off: 'Patrol ended', w_here: 'My position',
    w_outside: 'outside my grids', w_no_tasks: 'No open task', w_new_task: 'New task', w_do_progress: 'Add progress', w_do_submit: 'Submit for review',
    w_do_resolve: 'Resolve on site', w_what_was_done: 'What was done (required)', w_cancel: 'Cancel', w_after_photo_needed: 'This category needs a photo of the result',
    w_progress_prefix: 'Progress', w_photos: 'Photos (camera)', w_photos_chosen: 'photos', w_search_homes: 'Search households (address, building, unit, room)',
    w_search_homes_hint: 'e.g. street 2 303', w_building: 'Building', w_unit: 'Unit', w_room: 'Room', w_residents: 'Residents (masked)',
    w_visits: 'Visits', w_no_visits: 'No visit yet', w_not_offline: 'Not available offline', w_record_visit: 'Record a visit', w_position: 'Position',
    w_no_position: 'No position: tap the map or use "Where am I"', w_new_entry: 'New entry', w_log_empty: 'No entry today yet',
    w_queued: 'Kept in the outbox; sent when online', w_conflicts: 'Conflicts or failures to resolve', w_changed_meanwhile: 'The case was changed meanwhile',
    w_retry: 'Retry', w_drop: 'Drop', w_send_now: 'Send now', w_waiting: 'Waiting', w_outbox_empty: 'Nothing waiting to be sent',
    w_q_pending: 'Waiting', w_q_sending: 'Sending', w_q_done: 'Sent', w_q_conflict: 'Conflict', w_q_failed: 'Failed',
    w_offline_package: 'Offline package', w_refresh_package: 'Update the offline package', w_no_package: 'No offline package yet',
    w_package_loading: 'Downloading the offline package…', w_package_of: 'Package of', w_households_n: 'households', w_cases_n: 'tasks', w_tiles: 'map',
    w_report: 'Report', w_do_escalate: 'Escalate', w_with: 'With the', w_from_home: 'from the household', w_need_reason: 'Not on site (over 200 m or no position): give the reason',
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
