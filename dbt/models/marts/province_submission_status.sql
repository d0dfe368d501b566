-- Regency x kind x expected period: did the province get what it expects?
--   MASTERPLAN: one row per regency (period 'masterplan'), due on the seed's/var's due date.
--   EVALUASI:   one row per regency x evaluation year, from var('first_year') to the last
--               year whose deadline (seed ref_submission_deadlines) has passed.
-- status: accepted (an accepted submission exists), rejected (only rejected ones), missing
-- (nothing received). Submissions are attributed to their sender (the landing folder);
-- rejected files whose kind or evaluation year could not be read cannot be placed here and
-- appear only in submission_history.
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

deadlines as (
    select * from {{ ref('stg_reference__submission_deadlines') }}
),

expected as (
    select
        regencies.region_code,
        'MASTERPLAN'                                  as kind,
        'masterplan'                                  as period,
        cast(null as integer)                         as evaluation_year,
        deadlines.due_date
    from regencies
    cross join deadlines
    where deadlines.kind = 'MASTERPLAN'
    union all
    select
        regencies.region_code,
        'EVALUASI'                                    as kind,
        cast(years.year as {{ dbt.type_string() }})   as period,
        years.year                                    as evaluation_year,
        years.evaluation_due_date                     as due_date
    from regencies
    cross join {{ ref('int_reporting_years') }} as years
    where years.is_expected_evaluation_year
),

received as (
    select
        submission_id,
        region_code,
        kind,
        {{ smartprov.supersession_period('kind', 'evaluation_year') }} as period,
        is_accepted,
        document_date,
        received_at,
        error_count,
        warning_count
    from {{ ref('stg_audit__submissions') }}
    where kind in ('MASTERPLAN', 'EVALUASI')
      and region_code is not null
),

per_period as (
    select
        region_code,
        kind,
        period,
        count(*)                                      as submissions_received,
        sum(case when is_accepted then 1 else 0 end)  as submissions_accepted,
        sum(case when is_accepted then 0 else 1 end)  as submissions_rejected,
        max(received_at)                              as last_received_at
    from received
    group by region_code, kind, period
),

-- The submission that decides the status: the current accepted one (same ordering as
-- int_submissions_ranked), else the latest rejected one.
deciding as (
    select
        received.*,
        row_number() over (
            partition by region_code, kind, period
            order by
                case when is_accepted then 0 else 1 end,
                case when is_accepted then document_date end desc nulls last,
                received_at desc,
                submission_id desc
        )                                             as decision_rank
    from received
)

select
    regencies.province_code,
    regencies.province_name,
    expected.region_code,
    regencies.region_name,
    expected.kind,
    expected.period,
    expected.evaluation_year,
    expected.due_date,
    case
        when coalesce(per_period.submissions_accepted, 0) > 0 then 'accepted'
        when coalesce(per_period.submissions_rejected, 0) > 0 then 'rejected'
        else 'missing'
    end                                               as status,
    coalesce(per_period.submissions_accepted, 0) = 0
        and expected.due_date < {{ as_of_date() }}    as is_overdue,
    cast(coalesce(per_period.submissions_received, 0) as integer) as submissions_received,
    cast(coalesce(per_period.submissions_accepted, 0) as integer) as submissions_accepted,
    cast(coalesce(per_period.submissions_rejected, 0) as integer) as submissions_rejected,
    per_period.last_received_at,
    deciding.submission_id                            as deciding_submission_id,
    cast(deciding.error_count as integer)             as errors,
    cast(deciding.warning_count as integer)           as warnings
from expected
inner join regencies
    on regencies.region_code = expected.region_code
left join per_period
    on per_period.region_code = expected.region_code
   and per_period.kind = expected.kind
   and per_period.period = expected.period
left join deciding
    on deciding.region_code = expected.region_code
   and deciding.kind = expected.kind
   and deciding.period = expected.period
   and deciding.decision_rank = 1
