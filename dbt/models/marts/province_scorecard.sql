-- Province x year, for every province of the seed and every year from var('first_year')
-- to the reporting year.
--   regencies_with_masterplan: regencies that had an accepted masterplan by the end of that
--     year (by the as-of date for the running year). A masterplan counts from its document
--     date (`tanggal_dokumen`), or from its arrival when that is earlier: regencies adopt
--     their masterplans long before a province starts collecting them, and a year's
--     coverage should say who had one then, not when the province first heard of it.
--   avg_progress_pct / avg_readiness / avg_index: means over the province's regencies with a
--     current evaluation of that year, each regency weighing the same (its own mean
--     progress over its reported programs, its mean readiness score over its indicators,
--     its Total index).
with provinces as (
    select * from {{ ref('stg_reference__provinces') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

years as (
    select year, cutoff_date
    from {{ ref('int_reporting_years') }}
    where is_scorecard_year
),

regency_counts as (
    select province_code, count(*) as regencies_total
    from regencies
    group by province_code
),

first_masterplans as (
    select
        region_code,
        min(
            case
                when document_date is not null and document_date < cast(received_at as date)
                    then document_date
                else cast(received_at as date)
            end
        )                                             as first_adopted_on
    from {{ ref('int_submissions_ranked') }}
    where kind = 'MASTERPLAN'
    group by region_code
),

masterplan_counts as (
    select
        regencies.province_code,
        years.year,
        count(*)                                      as regencies_with_masterplan
    from first_masterplans
    inner join regencies
        on regencies.region_code = first_masterplans.region_code
    inner join years
        on years.cutoff_date >= first_masterplans.first_adopted_on
    group by regencies.province_code, years.year
),

evaluation_figures as (
    select
        regencies.province_code,
        e.evaluation_year                             as year,
        count(*)                                      as regencies_evaluated,
        avg(e.avg_progress_pct)                       as avg_progress_pct,
        avg(e.avg_readiness_score)                    as avg_readiness,
        avg(e.index_total)                            as avg_index
    from {{ ref('int_evaluations_summarised') }} as e
    inner join regencies
        on regencies.region_code = e.region_code
    group by regencies.province_code, e.evaluation_year
),

joined as (
    select
        provinces.province_code,
        provinces.province_name,
        years.year,
        coalesce(regency_counts.regencies_total, 0)   as regencies_total,
        coalesce(masterplan_counts.regencies_with_masterplan, 0) as regencies_with_masterplan,
        coalesce(evaluation_figures.regencies_evaluated, 0) as regencies_evaluated,
        evaluation_figures.avg_progress_pct,
        evaluation_figures.avg_readiness,
        evaluation_figures.avg_index
    from provinces
    cross join years
    left join regency_counts
        on regency_counts.province_code = provinces.province_code
    left join masterplan_counts
        on masterplan_counts.province_code = provinces.province_code
        and masterplan_counts.year = years.year
    left join evaluation_figures
        on evaluation_figures.province_code = provinces.province_code
        and evaluation_figures.year = years.year
),

scored as (
    select
        *,
        {{ smartprov.percentage('regencies_with_masterplan', 'regencies_total') }} as masterplan_coverage_pct
    from joined
)

select
    province_code,
    province_name,
    cast(year as integer)                             as year,
    cast(regencies_total as integer)                  as regencies_total,
    cast(regencies_with_masterplan as integer)        as regencies_with_masterplan,
    masterplan_coverage_pct,
    coalesce(masterplan_coverage_pct >= {{ var('smart_province_threshold_pct') }}, false)
        as meets_smart_province_threshold,
    cast(regencies_evaluated as integer)              as regencies_evaluated,
    {{ smartprov.round_decimal('avg_progress_pct', 2, 9) }} as avg_progress_pct,
    {{ smartprov.round_decimal('avg_readiness', 2, 5) }} as avg_readiness,
    {{ smartprov.round_decimal('avg_index', 2, 5) }}  as avg_index
from scored
