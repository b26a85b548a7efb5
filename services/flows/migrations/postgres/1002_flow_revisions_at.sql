-- Flow search: each replica's index catches up on the revisions written since it last looked.
CREATE INDEX flow_revisions_at ON flow_revisions (at);
