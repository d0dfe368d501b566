-- One row per current evaluation (regency x year) with the regency-level figures the
-- scorecard averages: mean progress over its reported programs, mean readiness score over
-- its indicators, and its Total index. Unrounded; the marts round.
with evaluations as (
    select * from {{ ref('int_evaluations_current') }}
),

progress as (
    select
        evaluation_submission_id,
        count(*)                                      as programs_reported,
        avg(progress_pct)                             as avg_progress_pct
    from {{ ref('int_realisations_current') }}
    group by evaluation_submission_id
),

readiness as (
    select
        evaluation_submission_id,
        count(*)                                      as readiness_indicators,
        avg(score)                                    as avg_readiness_score
    from {{ ref('int_readiness_current') }}
    group by evaluation_submission_id
),

total_index as (
    select
        evaluation_submission_id,
        max(score)                                    as index_total
    from {{ ref('int_index_current') }}
    where aspect = 'Total'
    group by evaluation_submission_id
)

select
    e.region_code,
    e.evaluation_year,
    e.evaluation_submission_id,
    coalesce(progress.programs_reported, 0)           as programs_reported,
    progress.avg_progress_pct,
    coalesce(readiness.readiness_indicators, 0)       as readiness_indicators,
    readiness.avg_readiness_score,
    total_index.index_total
from evaluations as e
left join progress
    on progress.evaluation_submission_id = e.evaluation_submission_id
left join readiness
    on readiness.evaluation_submission_id = e.evaluation_submission_id
left join total_index
    on total_index.evaluation_submission_id = e.evaluation_submission_id
