-- Rows of the current evaluations, joined to their program in the regency's CURRENT
-- masterplan. A row whose program code is not in the current masterplan (the masterplan was
-- revised after the evaluation and dropped the code) keeps is_in_current_masterplan = false
-- and no dimension; dimension-level marts leave it out.
select
    e.region_code,
    e.evaluation_year,
    e.evaluation_submission_id,
    r.program_code,
    r.status,
    r.is_done,
    r.progress_pct,
    r.budget_realized_idr,
    r.achievement_value,
    p.program_code is not null                        as is_in_current_masterplan,
    p.dimension,
    p.element,
    p.year_start,
    p.year_end,
    p.budget_idr                                      as budget_planned_idr
from {{ ref('int_evaluations_current') }} as e
inner join {{ ref('stg_raw__evaluation_realisations') }} as r
    on r.submission_id = e.evaluation_submission_id
left join {{ ref('int_programs_current') }} as p
    on p.region_code = e.region_code
    and p.program_code = r.program_code
