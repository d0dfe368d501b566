-- Regency x kind x expected period: did the province get what it expects, and in time?
--   MASTERPLAN: one row per regency (period 'masterplan'), due on the seed's/var's due date.
--   EVALUASI:   one row per regency x evaluation year, from var('first_year') to the last
--               year whose deadline (seed ref_submission_deadlines) has passed.
-- status:
--   on_time / late   an accepted submission exists; late when the first accepted one was
--                    uploaded (uploaded_at, contract section 6; Jakarta time, UTC+7) after
--                    the due date
--   not_applicable   EVALUASI of a regency without an accepted masterplan (it cannot send one)
--   rejected         only rejected files of this regency (an unreadable file of the folder
--                    counts here on the MASTERPLAN row: see unreadable_files)
--   misfiled         only files in this folder that claim another regency (REGION_MISMATCH)
-- A misfiled file is never the folder's own rejection: it counts in submissions_misfiled
-- (never submissions_rejected), and misfiled_folder / misfiled_claimed_region_code name the
-- latest one whenever the folder has one, whatever the status.
--   missing          nothing received
-- Files are attributed to their sender (the landing folder).
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

deadlines as (
    select * from {{ ref('stg_reference__submission_deadlines') }}
),

masterplans as (
    select region_code from {{ ref('int_masterplans_current') }}
),

as_of as (
    select {{ as_of_date() }}                         as as_of_date
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

submissions as (
    select
        *,
        -- the day it was uploaded, in Jakarta (deadlines are Jakarta dates)
        cast({{ dbt.dateadd('hour', 7, 'submitted_at') }} as date) as submitted_date,
        coalesce(folder_region_code <> stated_region_code, false) as is_misfiled
    from {{ ref('stg_audit__submissions') }}
    where region_code is not null
),

received as (
    select
        submission_id,
        region_code,
        folder_region_code,
        stated_region_code,
        kind,
        {{ smartprov.supersession_period('kind', 'evaluation_year') }} as period,
        is_accepted,
        is_misfiled,
        document_date,
        received_at,
        submitted_at,
        submitted_date,
        error_count,
        warning_count
    from submissions
    where kind in ('MASTERPLAN', 'EVALUASI')
),

unreadable as (
    -- files of the folder whose kind could not be read (e.g. a CSV renamed .xlsx)
    select
        region_code,
        count(*)                                      as unreadable_files,
        max(submitted_at)                             as last_unreadable_at
    from submissions
    where kind is null
    group by region_code
),

per_period as (
    select
        region_code,
        kind,
        period,
        count(*)                                      as submissions_received,
        sum(case when is_accepted then 1 else 0 end)  as submissions_accepted,
        sum(case when not is_accepted and not is_misfiled then 1 else 0 end) as submissions_rejected,
        sum(case when is_misfiled then 1 else 0 end)  as submissions_misfiled,
        min(case when is_accepted then submitted_date end) as first_accepted_date,
        min(case when is_accepted then submitted_at end) as first_accepted_at,
        max(submitted_at)                             as last_submitted_at,
        max(received_at)                              as last_received_at
    from received
    group by region_code, kind, period
),

-- The submission that decides the status: the current accepted one (same ordering as
-- int_submissions_ranked), else the latest rejected one of the regency, else the latest
-- misfiled one.
deciding as (
    select
        *,
        row_number() over (
            partition by region_code, kind, period
            order by
                case when is_accepted then 0 when not is_misfiled then 1 else 2 end,
                case when is_accepted then document_date end desc nulls last,
                received_at desc,
                submission_id desc
        )                                             as decision_rank
    from received
),

latest_misfiled as (
    select
        region_code,
        kind,
        period,
        folder_region_code,
        stated_region_code,
        row_number() over (
            partition by region_code, kind, period
            order by received_at desc, submission_id desc
        )                                             as recency_rank
    from received
    where is_misfiled
),

joined as (
    select
        expected.*,
        masterplans.region_code is not null           as has_masterplan,
        coalesce(per_period.submissions_received, 0)  as submissions_received,
        coalesce(per_period.submissions_accepted, 0)  as submissions_accepted,
        coalesce(per_period.submissions_rejected, 0)  as submissions_rejected,
        coalesce(per_period.submissions_misfiled, 0)  as submissions_misfiled,
        case when expected.kind = 'MASTERPLAN' then coalesce(unreadable.unreadable_files, 0) else 0 end
            as unreadable_files,
        per_period.first_accepted_date,
        per_period.first_accepted_at,
        per_period.last_submitted_at,
        per_period.last_received_at,
        deciding.submission_id                        as deciding_submission_id,
        deciding.is_misfiled                          as deciding_is_misfiled,
        latest_misfiled.folder_region_code            as misfiled_folder,
        latest_misfiled.stated_region_code            as misfiled_claimed_region_code,
        deciding.error_count,
        deciding.warning_count,
        as_of.as_of_date
    from expected
    cross join as_of
    left join masterplans
        on masterplans.region_code = expected.region_code
    left join per_period
        on per_period.region_code = expected.region_code
        and per_period.kind = expected.kind
        and per_period.period = expected.period
    left join deciding
        on deciding.region_code = expected.region_code
        and deciding.kind = expected.kind
        and deciding.period = expected.period
        and deciding.decision_rank = 1
    left join latest_misfiled
        on latest_misfiled.region_code = expected.region_code
        and latest_misfiled.kind = expected.kind
        and latest_misfiled.period = expected.period
        and latest_misfiled.recency_rank = 1
    left join unreadable
        on unreadable.region_code = expected.region_code
),

classified as (
    select
        *,
        case
            when submissions_accepted > 0
                then case when first_accepted_date <= due_date then 'on_time' else 'late' end
            when kind = 'EVALUASI' and not has_masterplan then 'not_applicable'
            when submissions_rejected > 0 then 'rejected'
            when submissions_misfiled > 0 then 'misfiled'
            when unreadable_files > 0 then 'rejected'
            else 'missing'
        end                                           as status
    from joined
)

select
    regencies.province_code,
    regencies.province_name,
    classified.region_code,
    regencies.region_name,
    classified.kind,
    classified.period,
    classified.evaluation_year,
    classified.due_date,
    classified.status,
    classified.status not in ('on_time', 'late', 'not_applicable')
    and classified.due_date < classified.as_of_date as is_overdue,
    -- late: days between the due date and the upload; overdue: days since the due date
    cast(case
        when classified.status = 'on_time' then 0
        when classified.status = 'late'
            then {{ dbt.datediff('classified.due_date', 'classified.first_accepted_date', 'day') }}
        when classified.status in ('missing', 'rejected', 'misfiled')
            and classified.due_date < classified.as_of_date
            then {{ dbt.datediff('classified.due_date', 'classified.as_of_date', 'day') }}
    end as integer)                                   as days_late,
    -- the accepted submission's upload time when there is one, else the latest upload
    coalesce(classified.first_accepted_at, classified.last_submitted_at) as uploaded_at,
    cast(classified.submissions_received as integer)  as submissions_received,
    cast(classified.submissions_accepted as integer)  as submissions_accepted,
    cast(classified.submissions_rejected as integer)  as submissions_rejected,
    cast(classified.submissions_misfiled as integer)  as submissions_misfiled,
    cast(classified.unreadable_files as integer)      as unreadable_files,
    classified.misfiled_folder,
    classified.misfiled_claimed_region_code,
    classified.last_received_at,
    classified.deciding_submission_id,
    cast(classified.error_count as integer)           as errors,
    cast(classified.warning_count as integer)         as warnings
from classified
inner join regencies
    on regencies.region_code = classified.region_code
