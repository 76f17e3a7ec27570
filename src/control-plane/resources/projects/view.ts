import type { Project } from '../../../store/repos/projects.js';

export const projectView = (p: Project) => ({
  id: p.id,
  name: p.name,
  displayName: p.displayName,
  description: p.description,
  isDefault: p.isDefault,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});
