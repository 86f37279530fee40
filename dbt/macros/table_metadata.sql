{#-
  Post-hook of every model: logs the built relation's columns (name and type, from the warehouse catalog)
  and, for tables, its row count, as one line `strataflow_table_metadata {json}`. strataflow's Dagster asset
  (strataflow/defs/dbt_metadata.py) attaches them to the model's materialization as dagster/column_schema
  and dagster/row_count. Read inside dbt's own connection: a second connection would race dbt for the
  DuckDB file lock. Renders no SQL, so dbt runs no statement for it. Only where Dagster asks for it (env
  STRATAFLOW_TABLE_METADATA=1, set by the dbt asset): dbt run by hand, tests and benchmarks skip the queries.
-#}
{% macro log_table_metadata() %}
  {%- if execute and env_var('STRATAFLOW_TABLE_METADATA', '0') == '1' and model.config.materialized in ('table', 'incremental', 'view') -%}
    {%- set payload = {'unique_id': model.unique_id, 'columns': [], 'row_count': none} -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
      {#- dbt-duckdb's data_type says character varying(256) for every VARCHAR: report DuckDB's own name -#}
      {%- do payload['columns'].append([column.name, column.dtype if target.type == 'duckdb' else column.data_type]) -%}
    {%- endfor -%}
    {%- if model.config.materialized != 'view' -%}
      {%- set counted = run_query('select count(*) from ' ~ this) -%}
      {%- do payload.update({'row_count': counted.columns[0].values()[0] | int}) -%}
    {%- endif -%}
    {%- do log('strataflow_table_metadata ' ~ tojson(payload), info=True) -%}
  {%- endif -%}
{% endmacro %}
