# tools/rename-public.sed: the renames that give every public (global)
# function, and the few global tables, its module's prefix (issue 13). Applied
# once, after the parallel branches are merged, by tools/rename-public.sh;
# each line renames one whole word (GNU sed's \b), so a longer name that
# contains an old one (set_meta_i64, index_feature_free) is left alone.
#
# index/: the record types' free functions, the write side (fs_writer),
# the blob codecs, and what index_int.h shares between the index's files.
s/\bfeature_free\b/index_feature_free/g
s/\bclusters_free\b/index_clusters_free/g
s/\bexplanations_free\b/index_explanations_free/g
s/\blive_files_free\b/index_live_files_free/g
s/\blogits_free\b/index_logits_free/g
s/\bchunk_free\b/index_chunk_free/g
s/\bcontext_free\b/index_context_free/g
s/\bexamples_free\b/index_examples_free/g
# the write side: writer_* -> index_writer_*
s/\bwriter_abort\b/index_writer_abort/g
s/\bwriter_add_cluster\b/index_writer_add_cluster/g
s/\bwriter_add_context\b/index_writer_add_context/g
s/\bwriter_add_decoder\b/index_writer_add_decoder/g
s/\bwriter_add_example\b/index_writer_add_example/g
s/\bwriter_add_example_at\b/index_writer_add_example_at/g
s/\bwriter_add_explanation\b/index_writer_add_explanation/g
s/\bwriter_add_feature\b/index_writer_add_feature/g
s/\bwriter_add_interval\b/index_writer_add_interval/g
s/\bwriter_add_logit\b/index_writer_add_logit/g
s/\bwriter_add_neighbour\b/index_writer_add_neighbour/g
s/\bwriter_add_sae\b/index_writer_add_sae/g
s/\bwriter_add_table_row\b/index_writer_add_table_row/g
s/\bwriter_count_tokens\b/index_writer_count_tokens/g
s/\bwriter_create\b/index_writer_create/g
s/\bwriter_errmsg\b/index_writer_errmsg/g
s/\bwriter_finish\b/index_writer_finish/g
s/\bwriter_set_cluster\b/index_writer_set_cluster/g
s/\bwriter_set_description\b/index_writer_set_description/g
s/\bwriter_set_label\b/index_writer_set_label/g
s/\bwriter_set_map\b/index_writer_set_map/g
s/\bwriter_set_meta\b/index_writer_set_meta/g
s/\bwriter_set_sae_size\b/index_writer_set_sae_size/g
s/\bwriter_set_stats\b/index_writer_set_stats/g
s/\bwriter_sql\b/index_writer_sql/g
s/\bwriter_track_tmp\b/index_writer_track_tmp/g
s/`writer_\*`/`index_writer_*`/g
s/`writer_add_\*`/`index_writer_add_*`/g
s/`writer_set_\*`/`index_writer_set_*`/g
# blob codecs (index_codec.c)
s/\bacts_decode\b/index_acts_decode/g
s/\bacts_encode\b/index_acts_encode/g
s/\baux_span_ok\b/index_aux_span_ok/g
s/\baux_split\b/index_aux_split/g
s/\bex_next\b/index_ex_next/g
s/\bex_put\b/index_ex_put/g
s/\btoks_decode\b/index_toks_decode/g
s/\btoks_encode\b/index_toks_encode/g
# index_int.h: shared by the index's files only
s/\bcol_strdup\b/index_col_strdup/g
s/\bmeta_i64\b/index_meta_i64/g
s/\brstmt\b/index_rstmt/g
s/\baux_read\b/index_aux_read/g
s/\breader_sql\b/index_reader_sql/g
s/\bschema_sql\b/index_schema_sql/g
s/\bstage_sql\b/index_stage_sql/g
s/\bfinish_sql\b/index_finish_sql/g
# core/: blas.c, number.c, tensor.c (safetensors reader), util.c
s/\bfs_sgemm\b/blas_sgemm/g
s/\bfs_sgemv\b/blas_sgemv/g
s/\bfs_to_float\b/number_to_float/g
s/\bfs_float_ok\b/number_float_ok/g
s/\bst_close\b/tensor_st_close/g
s/\bst_count\b/tensor_st_count/g
s/\bst_find\b/tensor_st_find/g
s/\bst_metadata\b/tensor_st_metadata/g
s/\bst_name\b/tensor_st_name/g
s/\bst_open\b/tensor_st_open/g
s/\bst_path\b/tensor_st_path/g
s/\bparse_i64\b/fs_parse_i64/g
# notes/
s/\bnote_free\b/notes_note_free/g
s/\bstrv_free\b/notes_strv_free/g
# geom/feature_map.c (was layout.c)
s/\blayout_init_tree\b/feature_map_init_tree/g
s/\blayout_map\b/feature_map_layout/g
s/\blayout_opts\b/feature_map_opts/g
# tui/tui.c: the browser's entry point (declared in cli/cmd.h)
s/\bcmd_tui\b/tui_main/g
