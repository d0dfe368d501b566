-- Every regency (kabupaten/kota) with its province's name: the spine of the marts.
select
    r.code                                            as region_code,
    r.name                                            as region_name,
    r.type                                            as region_type,
    r.province_code,
    p.name                                            as province_name
from {{ ref('ref_regencies') }} as r
inner join {{ ref('ref_provinces') }} as p
    on p.code = r.province_code
