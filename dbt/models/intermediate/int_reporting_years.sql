-- A table, not a view like the rest of this layer: its rows depend on the reporting date, and a
-- night whose dbt project is unchanged rebuilds tables only (selector nightly_data).
{{ config(materialized='table') }}

-- The calendar: every year from 2000 up to the reporting year (var as_of_date, default
-- today), with what each year means for the marts:
--   cutoff_date                  last day that counts for the year (31 December, or the
--                                as-of date for the running year)
--   is_scorecard_year            var('first_year') <= year <= reporting year
--   evaluation_due_date          when that year's EVALUASI is due (seed ref_submission_deadlines)
--   is_expected_evaluation_year  a scorecard year whose EVALUASI deadline has passed
with years as (
    select year from (
        values
        {%- for y in range(2000, 2101) %}
            ({{ y }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as spine (year)  -- the alias names the values' column -- noqa: AL05
),

as_of as (
    select {{ as_of_date() }}                         as as_of_date
),

evaluation_deadline as (
    select due_year_offset, due_month, due_day
    from {{ ref('stg_reference__submission_deadlines') }}
    where kind = 'EVALUASI'
),

calendar as (
    select
        cast(years.year as integer)                   as year,
        as_of.as_of_date,
        {{ smartprov.make_date('years.year', 12, 31) }} as year_end_date,
        {{ smartprov.make_date('years.year + d.due_year_offset', 'd.due_month', 'd.due_day') }} as evaluation_due_date
    from years
    cross join as_of
    cross join evaluation_deadline as d
    where years.year <= {{ smartprov.year_of('as_of.as_of_date') }}
)

select
    year,
    as_of_date,
    case when year_end_date < as_of_date then year_end_date else as_of_date end as cutoff_date,
    year >= {{ var('first_year') }}                   as is_scorecard_year,
    evaluation_due_date,
    year >= {{ var('first_year') }} and evaluation_due_date < as_of_date as is_expected_evaluation_year
from calendar
