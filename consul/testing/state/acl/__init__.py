"""ACLs: rules, authorizers, tokens, policies, roles, auth methods and binding rules.

- :mod:`.rules`: a policy's rules parsed and validated (``acl/policy.go``);
- :mod:`.authorizer`: what a set of rules allows (``acl/*authorizer.go``);
- :mod:`.objects`: tokens, policies and roles (``agent/structs/acl.go``);
- :mod:`.templated`: the builtin templated policies and what they render;
- :mod:`.authmethods`: auth methods, and how they verify a login's bearer token;
- :mod:`.bindings`: binding rules, and what a login's token is linked to;
- :mod:`.store`: their tables, and token resolution (``agent/consul/acl.go``).
"""
