with source as (
    select * from {{ source('raw', 'evaluation_realisations') }}
)

select
    submission_id,
    program_code,
    status,
    status = 'Selesai'                                as is_done,
    progress_pct,
    cast(budget_realized_idr as decimal(20, 2))       as budget_realized_idr,
    achievement_value,
    notes,
    file_sha256,
    sheet_name,
    source_row
from source
