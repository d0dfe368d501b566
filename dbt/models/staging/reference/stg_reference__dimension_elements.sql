select
    framework,
    dimension,
    dimension_order,
    element,
    element_order
from {{ ref('ref_dimension_elements') }}
