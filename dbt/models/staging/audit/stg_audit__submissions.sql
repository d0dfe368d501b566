-- The ledger, renamed and typed. `region_code` is the sender (the landing folder is the
-- sender's identity; for a file outside any folder, the workbook's kode_wilayah).
with source as (
    select * from {{ source('audit', 'submissions') }}
)

select
    submission_id,
    file_sha256,
    path                                              as landing_path,
    coalesce(folder_region_code, region_code)         as region_code,
    folder_region_code,
    region_code                                       as stated_region_code,
    kind,
    period,
    period_start,
    period_end,
    evaluation_year,
    document_date,
    document_number,
    region_name_given,
    email_kontak                                      as contact_email,
    template_version,
    framework,
    status,
    status = 'accepted'                               as is_accepted,
    errors                                            as error_count,
    warnings                                          as warning_count,
    size_bytes,
    received_at,
    uploaded_at,
    -- The submission's time for deadlines (contract section 6): when it was written to the
    -- landing zone; the pipeline's own time for rows that predate `uploaded_at`.
    coalesce(uploaded_at, received_at)                as submitted_at,
    run_id,
    quarantine_path
from source
