-- Why a submission was rejected or warned, one row per finding: what the analysts' snapshot
-- needs to answer a regency without the quarantine files or report.json. The submission is
-- named by its sender (region_code, the landing folder) and, for a misfiled file, by the
-- code it claims (stated_region_code).
with findings as (
    select * from {{ ref('stg_audit__findings') }}
),

submissions as (
    select * from {{ ref('stg_audit__submissions') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
)

select
    findings.submission_id,
    cast(findings.finding_no as integer)              as finding_no,
    regencies.province_code,
    submissions.region_code,
    regencies.region_name,
    submissions.stated_region_code,
    submissions.kind,
    submissions.period,
    submissions.evaluation_year,
    submissions.status                                as submission_status,
    submissions.received_at,
    submissions.landing_path,
    findings.rule,
    findings.severity,
    findings.sheet_name,
    cast(findings.source_row as integer)              as source_row,
    findings.column_name,
    findings.value_found,
    findings.message_id,
    findings.message,
    findings.message_en
from findings
inner join submissions
    on submissions.submission_id = findings.submission_id
left join regencies
    on regencies.region_code = submissions.region_code
