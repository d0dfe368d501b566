{#
  Generic data test: the model's primary key is never null and never repeated, in one query
  (one node instead of unique + not_null on each key column).

  On one column:                      On several (the grain):
      - name: region_code                 data_tests:
        data_tests: [primary_key]           - primary_key:
                                                arguments:
                                                  columns: [region_code, evaluation_year]
  Fails with one row per repeated key (occurrences > 1) and per key with a null part.
#}
{% test primary_key(model, column_name=none, columns=none) %}
    {%- set key_columns = columns if columns else [column_name] %}
    {%- if not key_columns[0] %}
        {{ exceptions.raise_compiler_error("primary_key on " ~ model ~ ": give it a column or arguments.columns") }}
    {%- endif %}
    {%- set key = key_columns | join(', ') %}
    select {{ key }}, count(*) as occurrences
    from {{ model }}
    group by {{ key }}
    having
        count(*) > 1
        {%- for key_column in key_columns %}
            or {{ key_column }} is null
        {%- endfor %}
{% endtest %}
