-- The path to the Smart Province threshold (var smart_province_threshold_pct, 80 %): per
-- province, how many more regencies need an accepted masterplan, and for each regency
-- without one (one row each) what stands in the way: its latest rejected file, that file's
-- first error in words (Indonesian and English), how many errors it had, and whom to contact.
-- A misfiled file in the folder (its kode_wilayah claims another regency) is neither the
-- regency's rejection nor its contact: it is named by misfiled_claimed_region_code only.
-- Regencies are ranked by how close they are (fewest errors first; never-submitted last).
-- A province that already has every regency covered has no rows here.
with coverage as (
    select * from {{ ref('province_masterplan_coverage') }}
),

provinces as (
    select
        province_code,
        count(*)                                      as regencies_total,
        sum(case when has_masterplan then 1 else 0 end) as regencies_with_masterplan
    from coverage
    group by province_code
),

targets as (
    select
        province_code,
        regencies_total,
        regencies_with_masterplan,
        cast(ceil({{ var('smart_province_threshold_pct') }} * regencies_total / 100.0) as integer)
            as regencies_required
    from provinces
),

submissions as (
    select
        *,
        coalesce(folder_region_code <> stated_region_code, false) as is_misfiled
    from {{ ref('stg_audit__submissions') }}
    where region_code is not null
),

latest_misfiled as (
    select
        region_code,
        stated_region_code,
        row_number() over (
            partition by region_code
            order by submitted_at desc, submission_id desc
        )                                             as recency_rank
    from submissions
    where is_misfiled
        and (kind = 'MASTERPLAN' or kind is null)
),

latest_rejected as (
    -- the folder's latest rejected file that is (or may be) a masterplan
    select
        *,
        row_number() over (
            partition by region_code
            order by submitted_at desc, submission_id desc
        )                                             as recency_rank
    from submissions
    where not is_accepted
        and not is_misfiled
        and (kind = 'MASTERPLAN' or kind is null)
),

first_errors as (
    select
        submission_id,
        message,
        message_en,
        rule,
        sheet_name,
        source_row,
        column_name,
        row_number() over (partition by submission_id order by finding_no) as error_rank
    from {{ ref('stg_audit__findings') }}
    where severity = 'ERROR'
),

contacts as (
    select
        region_code,
        contact_email,
        row_number() over (partition by region_code order by submitted_at desc, submission_id desc) as recency_rank
    from submissions
    where contact_email is not null
        and not is_misfiled
),

missing as (
    select
        coverage.province_code,
        coverage.province_name,
        coverage.region_code,
        coverage.region_name,
        latest_rejected.submission_id                 as latest_rejected_submission_id,
        latest_rejected.landing_path                  as latest_rejected_path,
        latest_rejected.submitted_at                  as latest_rejected_at,
        latest_rejected.error_count                   as latest_rejected_errors,
        first_errors.rule                             as first_error_rule,
        first_errors.sheet_name                       as first_error_sheet,
        first_errors.source_row                       as first_error_row,
        first_errors.column_name                      as first_error_column,
        first_errors.message                          as first_error_message,
        first_errors.message_en                       as first_error_message_en,
        contacts.contact_email,
        latest_misfiled.stated_region_code            as misfiled_claimed_region_code
    from coverage
    left join latest_rejected
        on latest_rejected.region_code = coverage.region_code
        and latest_rejected.recency_rank = 1
    left join first_errors
        on first_errors.submission_id = latest_rejected.submission_id
        and first_errors.error_rank = 1
    left join contacts
        on contacts.region_code = coverage.region_code
        and contacts.recency_rank = 1
    left join latest_misfiled
        on latest_misfiled.region_code = coverage.region_code
        and latest_misfiled.recency_rank = 1
    where not coverage.has_masterplan
)

select
    missing.province_code,
    missing.province_name,
    cast(targets.regencies_total as integer)          as regencies_total,
    cast(targets.regencies_with_masterplan as integer) as regencies_with_masterplan,
    {{ smartprov.percentage('targets.regencies_with_masterplan', 'targets.regencies_total') }}
        as masterplan_coverage_pct,
    cast({{ var('smart_province_threshold_pct') }} as decimal(9, 2)) as threshold_pct,
    targets.regencies_required,
    cast(case
        when targets.regencies_required > targets.regencies_with_masterplan
            then targets.regencies_required - targets.regencies_with_masterplan
        else 0
    end as integer)                                   as regencies_needed,
    missing.region_code,
    missing.region_name,
    cast(row_number() over (
        partition by missing.province_code
        order by
            case when missing.latest_rejected_submission_id is null then 1 else 0 end,
            missing.latest_rejected_errors,
            missing.region_code
    ) as integer)                                     as closeness_rank,
    missing.latest_rejected_submission_id is not null as has_rejected_file,
    missing.latest_rejected_submission_id,
    missing.latest_rejected_path,
    missing.latest_rejected_at,
    cast(missing.latest_rejected_errors as integer)   as latest_rejected_errors,
    missing.first_error_rule,
    missing.first_error_sheet,
    missing.first_error_row,
    missing.first_error_column,
    missing.first_error_message,
    missing.first_error_message_en,
    missing.contact_email,
    missing.misfiled_claimed_region_code
from missing
inner join targets
    on targets.province_code = missing.province_code
