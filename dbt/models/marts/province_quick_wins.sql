-- Regency x quick-win program of its current masterplan: what it is, who leads it, its
-- money, and how it is going (latest evaluated status and progress, and every evaluated
-- year in one line for reading).
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

quick_wins as (
    select * from {{ ref('int_programs_current') }}
    where is_quick_win
),

realisations as (
    select
        r.region_code,
        r.program_code,
        r.evaluation_year,
        r.status,
        r.progress_pct,
        r.budget_realized_idr,
        row_number() over (
            partition by r.region_code, r.program_code
            order by r.evaluation_year desc
        )                                             as recency_rank
    from {{ ref('int_realisations_current') }} as r
    inner join quick_wins
        on quick_wins.region_code = r.region_code
        and quick_wins.program_code = r.program_code
),

history as (
    select
        region_code,
        program_code,
        count(*)                                      as years_evaluated,
        sum(budget_realized_idr)                      as budget_realized_total_idr,
        {{ smartprov.distinct_list(
            "cast(evaluation_year as " ~ dbt.type_string() ~ ") || ': ' || status || ' '"
            ~ " || cast(cast(round(cast(progress_pct as decimal(9, 2)), 0) as integer) as " ~ dbt.type_string() ~ ") || '%'"
        ) }}                                          as progress_by_year
    from realisations
    group by region_code, program_code
),

latest as (
    select * from realisations
    where recency_rank = 1
)

select
    regencies.province_code,
    regencies.province_name,
    quick_wins.region_code,
    regencies.region_name,
    quick_wins.program_code,
    quick_wins.program_name,
    quick_wins.dimension,
    quick_wins.element,
    quick_wins.lead_agency,
    quick_wins.agencies,
    quick_wins.year_start,
    quick_wins.year_end,
    cast(quick_wins.budget_idr as decimal(20, 2))     as budget_planned_idr,
    quick_wins.funding_sources,
    latest.evaluation_year                            as latest_evaluation_year,
    latest.status                                     as latest_status,
    {{ smartprov.round_decimal('latest.progress_pct', 2, 9) }} as latest_progress_pct,
    cast(coalesce(history.years_evaluated, 0) as integer) as years_evaluated,
    cast(history.budget_realized_total_idr as decimal(20, 2)) as budget_realized_total_idr,
    history.progress_by_year,
    quick_wins.masterplan_submission_id
from quick_wins
inner join regencies
    on regencies.region_code = quick_wins.region_code
left join latest
    on latest.region_code = quick_wins.region_code
    and latest.program_code = quick_wins.program_code
left join history
    on history.region_code = quick_wins.region_code
    and history.program_code = quick_wins.program_code
