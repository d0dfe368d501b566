-- Every submission ever received, accepted or rejected, with its place in the supersession
-- chain: is_current (the accepted submission the current views use), superseded_by (the
-- next newer accepted submission of the same regency, kind and period) and
-- current_submission_id. Rejected submissions are never current.
with submissions as (
    select * from {{ ref('stg_audit__submissions') }}
),

ranked as (
    select * from {{ ref('int_submissions_ranked') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
)

select
    submissions.submission_id,
    regencies.province_code,
    regencies.province_name,
    submissions.region_code,
    regencies.region_name,
    submissions.stated_region_code,
    submissions.kind,
    submissions.period,
    submissions.period_start,
    submissions.period_end,
    submissions.evaluation_year,
    submissions.document_date,
    submissions.document_number,
    submissions.received_at,
    submissions.status,
    cast(submissions.error_count as integer)          as errors,
    cast(submissions.warning_count as integer)        as warnings,
    coalesce(ranked.is_current, false)                as is_current,
    ranked.superseded_by,
    ranked.current_submission_id,
    cast(ranked.recency_rank as integer)              as recency_rank,
    submissions.framework,
    submissions.template_version,
    submissions.landing_path,
    submissions.quarantine_path,
    submissions.file_sha256,
    submissions.run_id
from submissions
left join ranked
    on ranked.submission_id = submissions.submission_id
left join regencies
    on regencies.region_code = submissions.region_code
