-- Readiness self-assessment rows of the current evaluations.
select
    e.region_code,
    e.evaluation_year,
    e.evaluation_submission_id,
    r.pillar,
    r.indicator,
    r.score
from {{ ref('int_evaluations_current') }} as e
inner join {{ ref('stg_raw__evaluation_readiness') }} as r
    on r.submission_id = e.evaluation_submission_id
