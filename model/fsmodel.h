/*
 * fsmodel.h: shared helpers of the demo-model tool (fsmodel.c, saetrain.c,
 * harvest.c): options, files, batches, evaluation.
 */
#ifndef FS_MODEL_FSMODEL_H
#define FS_MODEL_FSMODEL_H

#include "lm.h"
#include "sae.h"

#include <stddef.h>
#include <stdint.h>

double fsm_now(void);
void fsm_die(const char *what, const char *why);
void fsm_usage(const char *msg);
uint8_t *fsm_read_file(const char *path, size_t *len);
uint64_t fsm_rand(uint64_t *s);
const char *fsm_opt(int argc, char **argv, const char *name, const char *def);
double fsm_optf(int argc, char **argv, const char *name, double def);
const char *fsm_req(int argc, char **argv, const char *name);
void fsm_batch(const uint8_t *data, size_t len, int B, int T, uint64_t *rng,
               uint8_t *tok, int *tgt);
double fsm_eval_bpb(lm_model *m, const uint8_t *data, size_t len,
                    size_t max_bytes, lm_hook hook, void *hctx);

/* The same with plain windows of T <= ctx bytes. */
double fsm_eval_bpb_window(lm_model *m, const uint8_t *data, size_t len,
                           size_t max_bytes, int T, lm_hook hook, void *hctx);

int fsm_train_sae(int argc, char **argv);
int fsm_eval_sae(int argc, char **argv);
int fsm_harvest(int argc, char **argv);

#endif
