-- Agencies (OPD) of the programs of the current masterplans, one row per program x agency.
select
    p.region_code,
    p.masterplan_submission_id,
    p.program_code,
    p.dimension,
    p.element,
    a.agency_no,
    a.agency_name,
    a.agency_key,
    a.is_lead
from {{ ref('int_programs_current') }} as p
inner join {{ ref('stg_raw__masterplan_program_agencies') }} as a
    on a.submission_id = p.masterplan_submission_id
   and a.program_code = p.program_code
