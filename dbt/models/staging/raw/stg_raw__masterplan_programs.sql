with source as (
    select * from {{ source('raw', 'masterplan_programs') }}
)

select
    submission_id,
    program_code,
    program_name,
    dimension,
    element,
    agencies,
    lead_agency,
    year_start,
    year_end,
    is_quick_win,
    cast(budget_idr as decimal(20, 2))                as budget_idr,
    funding_sources,
    indicator,
    target_value,
    target_unit,
    file_sha256,
    sheet_name,
    source_row
from source
