/*
 * graph.h: attribution graphs (the JSON that circuit-tracer writes and
 * Neuronpedia uploads: metadata, qParams, nodes, links) held in memory, and
 * the analysis every front end shares: pruning by node influence and link
 * weight, the strongest paths from a logit back to the embeddings, a node's
 * strongest links in and out, and export of a pruned subgraph as Graphviz
 * DOT or Mermaid text. The CLI (`featscope graph`) and the browser's graph
 * screen call these; neither computes any of it itself.
 *
 * A graph file is untrusted: graph_load streams it (graphs of 100,000 nodes
 * and 10 million links open), checks every field it uses and refuses bad
 * input with one line naming the file and the field (a link to a node that
 * does not exist, a weight that is not a number, a file that is some other
 * JSON). Nothing a graph names is opened.
 */
#ifndef FS_GRAPH_H
#define FS_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a node is. */
typedef enum {
	GRAPH_FEATURE = 0, /* a transcoder (or CLT) feature */
	GRAPH_ERROR,       /* an MLP reconstruction error node */
	GRAPH_EMBED,       /* a token embedding */
	GRAPH_LOGIT,       /* an output logit */
	GRAPH_NKINDS
} graph_kind;

/* The kind's name as the CLI and the screen print it ("feature", "error",
 * "embedding", "logit"). */
const char *graph_kind_name(graph_kind k);

typedef struct {
	char *id;          /* node_id, as in the file */
	graph_kind kind;
	int layer;         /* transformer layer; -1 for embeddings, the model's
	                      layer count for logits */
	int ctx;           /* ctx_idx: the prompt position */
	int64_t feature;   /* the file's `feature` field as stored (-1 when absent) */
	int64_t index;     /* the feature's index inside its layer's dictionary,
	                      decoded (see graph.c); -1 when not a feature */
	double influence;  /* circuit-tracer's cumulative influence */
	double activation;
	double token_prob; /* logits: the token's probability */
	int target_logit;  /* is_target_logit */
	char *clerp;       /* the label, may be "" */
	char *token;       /* logits and embeddings: the token's text, may be "" */
	char *js_id;       /* jsNodeId, may be "" (added by the engine) */
	int64_t token_id;  /* logits and embeddings: the token's id (node_id's
	                      middle part), -1 when unknown (added) */
} graph_node;

typedef struct {
	uint32_t src, dst; /* node indices */
	float weight;
} graph_link;

typedef struct graph {
	char *path;
	char *slug, *scan, *prompt, *transcoder_set; /* "" when absent */
	char **tokens;     /* metadata.prompt_tokens */
	int ntokens;
	double node_threshold, edge_threshold; /* from the file's settings; NaN when absent */
	int nlayers;       /* feature layers: max layer + 1 */
	graph_node *nodes;
	size_t nnodes;
	graph_link *links; /* sorted by (src, |weight| descending) */
	size_t nlinks;
	size_t *out_start; /* nnodes+1: node i's outgoing links are
	                      links[out_start[i] .. out_start[i+1]) */
	size_t *in_start;  /* nnodes+1: node i's incoming links are
	                      links[in_order[in_start[i] .. in_start[i+1])],
	                      by |weight| descending */
	size_t *in_order;
	char **sn_names;   /* qParams.supernodes as read: a name per group */
	uint32_t **sn_members; /* node indices of each group */
	int *sn_count;
	int nsupernodes;
	uint64_t *id_slot; /* open-addressing table of node_id: node index + 1
	                      in the low half, the hash's upper half in the high
	                      half; 0 empty; id_hash_cap a power of two (added) */
	size_t id_hash_cap;
	char *id_arena;    /* every node_id with its NUL, one after another;
	                      node i's at id_off[i] (nnodes+1 offsets) (added) */
	size_t *id_off;
	int logit_layer;   /* the logits' layer as the file gives it, -1 when
	                      there are none (added) */
} graph;

/* Reads the graph JSON at path. 0, or -1 with one line in err naming the
 * file and the field. */
int graph_load(const char *path, graph **out, char *err, size_t errlen);
/* The same from text in memory (len bytes, no NUL needed); name is the
 * file name errors give (added: the fuzz target, tests). */
int graph_load_mem(const char *name, const char *text, size_t len, graph **out, char *err,
                   size_t errlen);
/* graph_load reporting how far it has read through p (core/progress.h; NULL:
 * silent), for the front ends of big files (added). */
struct fs_progress;
int graph_load_progress(const char *path, graph **out, struct fs_progress *p, char *err, size_t errlen);
void graph_free(graph *g);

/* The node whose node_id is id (also accepted: its jsNodeId, or
 * "LAYER/INDEX@POS"), or SIZE_MAX. */
size_t graph_find(const graph *g, const char *id);

/* Which nodes and links survive pruning at node_thr (cumulative influence,
 * as circuit-tracer's pruning reads it: a feature or error node is kept
 * when its influence is at most node_thr; embeddings and logits are always
 * kept) and edge_thr (the strongest links, by |weight|, that together make
 * up edge_thr of the |weight| into each kept node). node_keep has nnodes
 * bytes, link_keep nlinks; both are written. Returns the number of nodes
 * kept. A threshold of 1 or more keeps everything. */
size_t graph_prune(const graph *g, double node_thr, double edge_thr, uint8_t *node_keep,
                   uint8_t *link_keep);

/* A path from an embedding (or any node without kept inputs) to a logit:
 * nodes[0] is the source, nodes[n-1] the logit; score is the product of
 * the links' weights. */
typedef struct {
	uint32_t *nodes;
	int n;
	double score;
} graph_path;

/* The k strongest paths (by |score|) ending at node `logit`, walking only
 * kept nodes and links (NULL masks: everything). *out is malloc'd; free
 * with graph_paths_free. Returns the number found, -1 when out of memory. */
int graph_paths(const graph *g, size_t logit, int k, const uint8_t *node_keep,
                const uint8_t *link_keep, graph_path **out);
void graph_paths_free(graph_path *p, int n);

/* A node's one-line label, raw (not escaped): "L3 #91431 @3: clerp",
 * "error L24 @3", "emb \"1\" @1", "logit \"4\" p=0.233". snprintf into
 * buf; returns the full length (added). */
int graph_node_label(const graph *g, size_t i, char *buf, size_t n);

/* Export of the kept subgraph. Labels go through the one escaping rule;
 * supernodes (names and member node indices) become clusters / subgraphs
 * when given. 0, or -1 on a write error. */
typedef struct {
	const char *name;
	const uint32_t *members;
	int n;
} graph_group;
int graph_write_dot(FILE *f, const graph *g, const uint8_t *node_keep, const uint8_t *link_keep,
                    const graph_group *groups, int ngroups);
int graph_write_mermaid(FILE *f, const graph *g, const uint8_t *node_keep,
                        const uint8_t *link_keep, const graph_group *groups, int ngroups);

#endif
