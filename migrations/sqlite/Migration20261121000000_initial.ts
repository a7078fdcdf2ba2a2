import { Migration } from '@mikro-orm/migrations';

/** Initial schema (SQLite). Partial unique indexes let the database refuse a double-booked bed. */
export class Migration20261121000000_initial extends Migration {
  async up(): Promise<void> {
    this.addSql("create table `hospital` (`id` integer not null primary key autoincrement, `name` text not null);");
    this.addSql("create table `ward` (`id` integer not null primary key autoincrement, `hospital_id` integer not null, `name` text not null, `abbreviation` text not null, `floor` integer not null, `capacity` integer not null check (`capacity` > 0), constraint `ward_hospital_id_foreign` foreign key(`hospital_id`) references `hospital`(`id`) on update cascade);");
    this.addSql("create index `ward_hospital_name_idx` on `ward` (`hospital_id`, `name`);");
    this.addSql("create table `tag` (`id` integer not null primary key autoincrement, `hospital_id` integer not null, `name` text not null, `color` text not null, constraint `tag_hospital_id_foreign` foreign key(`hospital_id`) references `hospital`(`id`) on update cascade);");
    this.addSql("create index `tag_hospital_name_idx` on `tag` (`hospital_id`, `name`);");
    this.addSql("create table `patient` (`id` integer not null primary key autoincrement, `hospital_id` integer not null, `name` text not null, `status` text check (`status` in ('INPATIENT', 'OUTPATIENT')) not null default 'OUTPATIENT', `latest_event_at` datetime null, constraint `patient_hospital_id_foreign` foreign key(`hospital_id`) references `hospital`(`id`) on update cascade);");
    this.addSql("create index `patient_hospital_status_idx` on `patient` (`hospital_id`, `status`);");
    // SQLite sorts NULL lowest, so a DESC scan of this index already puts patients without events last.
    this.addSql("create index `patient_hospital_latest_event_idx` on `patient` (`hospital_id`, `latest_event_at`, `id`);");
    this.addSql("create table `patient_tags` (`patient_id` integer not null, `tag_id` integer not null, constraint `patient_tags_patient_id_foreign` foreign key(`patient_id`) references `patient`(`id`) on delete cascade on update cascade, constraint `patient_tags_tag_id_foreign` foreign key(`tag_id`) references `tag`(`id`) on delete cascade on update cascade, primary key (`patient_id`, `tag_id`));");
    this.addSql("create index `patient_tags_tag_id_index` on `patient_tags` (`tag_id`);");
    this.addSql("create table `admission` (`id` integer not null primary key autoincrement, `hospital_id` integer not null, `patient_id` integer not null, `ward_id` integer not null, `bed` text not null, `admitted_at` datetime not null, `discharged_at` datetime null, constraint `admission_hospital_id_foreign` foreign key(`hospital_id`) references `hospital`(`id`) on update cascade, constraint `admission_patient_id_foreign` foreign key(`patient_id`) references `patient`(`id`) on update cascade, constraint `admission_ward_id_foreign` foreign key(`ward_id`) references `ward`(`id`) on update cascade);");
    this.addSql("create unique index `admission_open_bed_uniq` on `admission` (`ward_id`, `bed`) where `discharged_at` is null;");
    this.addSql("create unique index `admission_open_patient_uniq` on `admission` (`patient_id`) where `discharged_at` is null;");
    this.addSql("create index `admission_hospital_open_idx` on `admission` (`hospital_id`, `ward_id`) where `discharged_at` is null;");
    this.addSql("create table `clinical_event` (`id` integer not null primary key autoincrement, `hospital_id` integer not null, `patient_id` integer not null, `kind` text not null, `occurred_at` datetime not null, constraint `clinical_event_hospital_id_foreign` foreign key(`hospital_id`) references `hospital`(`id`) on update cascade, constraint `clinical_event_patient_id_foreign` foreign key(`patient_id`) references `patient`(`id`) on update cascade);");
    this.addSql("create index `clinical_event_patient_time_idx` on `clinical_event` (`patient_id`, `occurred_at`);");
  }
}
