-- Evaluation index rows (the ministry's scores) of the current evaluations.
select
    e.region_code,
    e.evaluation_year,
    e.evaluation_submission_id,
    i.aspect,
    i.score
from {{ ref('int_evaluations_current') }} as e
inner join {{ ref('stg_raw__evaluation_index') }} as i
    on i.submission_id = e.evaluation_submission_id
