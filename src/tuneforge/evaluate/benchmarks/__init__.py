"""Multiple-choice benchmarks (MMLU, CMMLU, C-Eval and custom tasks in their layouts), scored few-shot by the
next-token logits of the answer letters.

tasks (which task, where its files are) → readers / hub (questions) + mapping (subject → category) →
prompt (few-shot prompt ids) → scorer (letter logits, argmax) → results (table, results.json/.log);
runner ties them together for `tuneforge eval`.
"""
