-- Regency x evaluation year x readiness pillar, from the current evaluations.
with readiness as (
    select
        region_code,
        evaluation_year,
        evaluation_submission_id,
        pillar,
        count(*)                                      as indicators,
        avg(score)                                    as avg_score
    from {{ ref('int_readiness_current') }}
    group by region_code, evaluation_year, evaluation_submission_id, pillar
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
)

select
    regencies.province_code,
    regencies.province_name,
    readiness.region_code,
    regencies.region_name,
    cast(readiness.evaluation_year as integer)        as evaluation_year,
    readiness.evaluation_submission_id,
    readiness.pillar,
    cast(readiness.indicators as integer)             as indicators,
    {{ smartprov.round_decimal('readiness.avg_score', 2, 5) }} as avg_score
from readiness
inner join regencies
    on regencies.region_code = readiness.region_code
