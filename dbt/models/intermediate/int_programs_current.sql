-- Programs of the current masterplans.
select
    mp.region_code,
    mp.masterplan_submission_id,
    mp.framework,
    p.program_code,
    p.program_name,
    p.dimension,
    p.element,
    p.lead_agency,
    p.agencies,
    p.funding_sources,
    p.year_start,
    p.year_end,
    p.is_quick_win,
    p.budget_idr,
    mp.template_version
from {{ ref('int_masterplans_current') }} as mp
inner join {{ ref('stg_raw__masterplan_programs') }} as p
    on p.submission_id = mp.masterplan_submission_id
