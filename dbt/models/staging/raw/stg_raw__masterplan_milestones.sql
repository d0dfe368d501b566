-- Template version 2: the masterplan's milestones (optional `Identitas` labels).
with source as (
    select * from {{ source('raw', 'masterplan_milestones') }}
)

select
    submission_id,
    adoption_date,
    legal_basis,
    bimtek_stage,
    mou_date,
    file_sha256,
    sheet_name,
    source_row
from source
