-- province_masterplan_coverage has one row for every regency of the seed, none missing.
select r.code as region_code
from {{ ref('ref_regencies') }} as r
left join {{ ref('province_masterplan_coverage') }} as c
    on c.region_code = r.code
where c.region_code is null
