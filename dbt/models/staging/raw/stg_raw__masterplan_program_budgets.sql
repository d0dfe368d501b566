-- Template version 2: a program's planned rupiah per year (`anggaran_<YYYY>` columns).
-- Version-1 masterplans have no rows here.
with source as (
    select * from {{ source('raw', 'masterplan_program_budgets') }}
)

select
    submission_id,
    program_code,
    cast(budget_year as integer)                      as budget_year,
    cast(budget_idr as decimal(20, 2))                as budget_idr,
    file_sha256,
    sheet_name,
    source_row
from source
