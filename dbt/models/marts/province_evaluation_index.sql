-- Regency x evaluation year x aspect: the ministry's scores from the current evaluations,
-- with the regency's rank among its province's regencies on the Total index that year
-- (rank 1 = highest; ties share a rank and the next rank is skipped, SQL rank()).
with scores as (
    select
        region_code,
        evaluation_year,
        evaluation_submission_id,
        aspect,
        {{ smartprov.round_decimal('score', 2, 5) }}  as score
    from {{ ref('int_index_current') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

aspects as (
    select * from {{ ref('stg_reference__evaluation_aspects') }}
),

joined as (
    select
        regencies.province_code,
        regencies.province_name,
        scores.region_code,
        regencies.region_name,
        cast(scores.evaluation_year as integer)       as evaluation_year,
        scores.evaluation_submission_id,
        scores.aspect,
        aspects.aspect_group,
        aspects.aspect_order,
        scores.score
    from scores
    inner join regencies
        on regencies.region_code = scores.region_code
    left join aspects
        on aspects.aspect = scores.aspect
)

select
    *,
    case
        when aspect = 'Total' then cast(rank() over (
                partition by province_code, evaluation_year, aspect
                order by score desc
            ) as integer)
    end                                               as rank_in_province,
    case
        when aspect = 'Total' then cast(count(*) over (
                partition by province_code, evaluation_year, aspect
            ) as integer)
    end                                               as regencies_ranked
from joined
