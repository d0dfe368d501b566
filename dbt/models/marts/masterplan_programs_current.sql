-- The programs of each regency's current accepted masterplan, in the order of its Program
-- sheet, with the masterplan's contact: what a prefilled evaluation template lists (smartprov
-- template --kind evaluasi), readable from the analysts' snapshot, which holds marts only.
with masterplans as (
    select * from {{ ref('int_masterplans_current') }}
),

programs as (
    select * from {{ ref('stg_raw__masterplan_programs') }}
),

submissions as (
    select submission_id, contact_email from {{ ref('stg_audit__submissions') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
)

select
    regencies.province_code,
    masterplans.region_code,
    regencies.region_name,
    masterplans.masterplan_submission_id,
    masterplans.template_version,
    submissions.contact_email,
    cast(programs.source_row as integer)              as source_row,
    programs.program_code,
    programs.program_name,
    programs.dimension,
    programs.element,
    programs.lead_agency,
    programs.agencies,
    cast(programs.year_start as integer)              as year_start,
    cast(programs.year_end as integer)                as year_end,
    programs.is_quick_win,
    programs.budget_idr
from masterplans
inner join programs
    on programs.submission_id = masterplans.masterplan_submission_id
inner join regencies
    on regencies.region_code = masterplans.region_code
left join submissions
    on submissions.submission_id = masterplans.masterplan_submission_id
