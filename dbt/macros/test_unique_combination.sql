{#
  Generic data test: the combination of columns is unique in the model (the grain).

      data_tests:
        - unique_combination:
            arguments:
              combination_of_columns: [region_code, evaluation_year]
#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
