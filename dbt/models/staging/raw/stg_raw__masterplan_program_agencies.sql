with source as (
    select * from {{ source('raw', 'masterplan_program_agencies') }}
)

select
    submission_id,
    program_code,
    agency_no,
    trim(agency_name)                                 as agency_name,
    -- agencies are written by hand in each workbook: compare them ignoring case and spaces
    upper(trim(agency_name))                          as agency_key,
    is_lead,
    file_sha256,
    sheet_name,
    source_row
from source
