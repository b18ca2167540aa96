"""ACLs: rules, authorizers, tokens, policies and roles.

- :mod:`.rules`: a policy's rules parsed and validated (``acl/policy.go``);
- :mod:`.authorizer`: what a set of rules allows (``acl/*authorizer.go``);
- :mod:`.objects`: tokens, policies and roles (``agent/structs/acl.go``);
- :mod:`.store`: their tables, and token resolution (``agent/consul/acl.go``).
"""
